import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.problems.models import Problem, StudentSolution
from tests.conftest import DATA

pytestmark = pytest.mark.django_db
DEV = str(DATA / "mathdial" / "dev.jsonl")


def test_mathdial_dialogues_become_problems_with_incorrect_solutions(tmp_path):
    path = tmp_path / "five.jsonl"
    with open(DEV) as dev:
        path.write_text("".join(next(dev) for _ in range(5)))
    call_command("import_mathdial", str(path))
    out = StringIO()
    call_command("import_mathdial", str(path), stdout=out)  # idempotent
    assert "imported 0 new dialogues" in out.getvalue() and "(4 already there)" in out.getvalue()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    distinct = {(r["qid"], r["student_incorrect_solution"]) for r in records}
    assert len(distinct) == 4  # two dialogues of the file share one student solution
    assert StudentSolution.objects.count() == 4
    assert Problem.objects.filter(source="mathdial").count() == len({r["qid"] for r in records})
    first = Problem.objects.get(source="mathdial", source_key="6000025")
    assert first.gold_answer == "10" and "12+3=15" in first.solution
    solution = first.student_solutions.get()
    assert solution.text.startswith("Let's call") and solution.profile.startswith("Mariana")


def test_a_bad_line_imports_nothing_and_names_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(Path(DEV).read_text().splitlines(keepends=True)[0] + "oops\n")
    with pytest.raises(CommandError, match="line 2: not valid JSON"):
        call_command("import_mathdial", str(path))
    assert not Problem.objects.exists()
