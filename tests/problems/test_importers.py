import json

import pytest
from django.core.management import CommandError, call_command

from agents.graphs.misconception import GraphMisconceptionDetector
from apps.accounts.models import Classroom
from apps.annotation.models import AnnotationQueue
from apps.problems.detector import get_detector
from apps.problems.importers import ImportFileError, import_gsm8k
from apps.problems.models import Misconception, Problem

pytestmark = pytest.mark.django_db

GOOD = [
    {"question": "Tom has 2 cats and buys 3 more. How many cats?", "answer": "2+3=5\n#### 5"},
    {"question": "A pen costs $1,200 / 100. Price?", "answer": "1200/100=12\n#### 12"},
]


def write(tmp_path, lines):
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_import_stores_statement_gold_answer_and_solution_and_is_idempotent(tmp_path):
    path = write(tmp_path, GOOD)
    assert import_gsm8k(path).created == 2
    again = import_gsm8k(path)
    assert (again.created, again.existing) == (0, 2)
    cats = Problem.objects.get(statement__startswith="Tom")
    assert (cats.gold_answer, cats.solution, cats.source) == ("5", GOOD[0]["answer"], "gsm8k")


@pytest.mark.parametrize("bad, message", [
    ("{not json", "line 2: not valid JSON"),
    (json.dumps({"question": "q"}), "line 2: missing or empty field.s. answer"),
    (json.dumps({"question": "q", "answer": "no final line"}), "line 2: no final answer"),
    (json.dumps(["a list"]), "line 2: expected a JSON object"),
])
def test_a_malformed_line_is_named_and_nothing_is_imported(tmp_path, bad, message):
    path = write(tmp_path, [GOOD[0], bad, GOOD[1]])
    with pytest.raises(ImportFileError, match=message):
        import_gsm8k(path)
    assert not Problem.objects.exists()


def test_command_reports_the_bad_line(tmp_path):
    path = write(tmp_path, [GOOD[0], "oops"])
    with pytest.raises(CommandError, match="line 2"):
        call_command("import_gsm8k", str(path))


def test_empty_or_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ImportFileError, match="no records"):
        import_gsm8k(write(tmp_path, []))
    with pytest.raises(ImportFileError, match="cannot read"):
        import_gsm8k(tmp_path / "nope.jsonl")


def test_seed_demo_creates_people_problems_a_catalogue_and_a_pairwise_queue(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert Problem.objects.count() == 50
    out = capsys.readouterr().out
    assert "student1 / student1-demo" in out and "admin / admin-demo" in out
    # detection is on in the demo: MathDial's teacher-described confusions, clustered
    assert Misconception.objects.filter(key__startswith="mathdial:confusion-").count() == 12
    assert isinstance(get_detector("retrieval"), GraphMisconceptionDetector)
    # pairwise data in the demo: the class collects pairs and a pairwise queue takes them
    assert Classroom.objects.get(name="Class 7A").collect_candidate_pairs
    queue = AnnotationQueue.objects.get(target="pair")
    assert {u.username for u in queue.annotators.all()} == {"annotator", "admin"}
