"""`manage.py tutor_eval` end to end: dialogues stored as sessions with traces, a valid report,
the real worker path, and the admin-only evaluation page."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.lab import evaluations
from apps.lab.models import EvaluationRun
from apps.traces.models import Run
from apps.tutoring.models import TutoringSession
from tests.conftest import DATA, make_user

DEV = str(DATA / "mathdial" / "dev.jsonl")


@pytest.fixture
def three(tmp_path):
    path = tmp_path / "three.jsonl"
    with open(DEV) as dev:
        path.write_text("".join(next(dev) for _ in range(3)))
    return path


def run_command(three, tmp_path, *extra):
    out = tmp_path / "report.json"
    call_command("tutor_eval", "--dataset", str(three), "--engine", "scripted", "--k-max", "3",
                 "--out", str(out), *extra)
    return json.loads(out.read_text())


@pytest.mark.django_db
def test_three_dialogues_inline_give_a_valid_report_and_stored_sessions(three, tmp_path):
    report = run_command(three, tmp_path, "--tutor", "tutorgraph", "--inline")
    assert {"tutor", "engine", "model", "n", "success_at_k", "telling_at_k", "ci95"} <= set(report)
    assert (report["tutor"], report["engine"], report["n"]) == ("tutorgraph", "scripted", 3)
    assert set(report["success_at_k"]) == set(report["telling_at_k"]) == {"1", "2", "3"}
    assert all(0 <= v <= 1 for v in report["success_at_k"].values())
    assert set(report["ci95"]["telling_at_k"]["3"]) <= {0.0} or \
        report["ci95"]["telling_at_k"]["3"][0] <= report["telling_at_k"]["3"]
    sessions = TutoringSession.objects.filter(origin="evaluation")
    assert sessions.count() == 3
    session = sessions.first()
    turns = list(session.turns.order_by("index"))
    assert [t.author for t in turns[:3]] == ["tutor", "student", "tutor"]
    assert turns[0].move == "generic" and turns[2].move in ("focus", "probing")
    assert Run.objects.filter(source="evaluation", subject_id=session.pk).count() == 1
    assert session.problem.source == "mathdial" and session.problem.student_solutions.exists()
    run = EvaluationRun.objects.get()
    assert run.status == "done" and run.report == report and run.progress == 1.0
    assert run.started_at is not None and run.finished_at >= run.started_at


@pytest.mark.django_db
def test_a_malformed_dataset_line_is_named_and_nothing_runs(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(Path(DEV).read_text().splitlines(keepends=True)[0] + '{"question": "x"}\n')
    with pytest.raises(CommandError, match="line 2: missing or empty field"):
        call_command("tutor_eval", "--dataset", str(bad), "--tutor", "baseline", "--engine",
                     "scripted", "--out", str(tmp_path / "r.json"))
    assert not EvaluationRun.objects.exists()


@pytest.mark.worker
def test_the_worker_path_fans_out_one_task_per_dialogue(worker, three, tmp_path):
    report = run_command(three, tmp_path, "--tutor", "baseline", "--timeout", "120")
    assert report["n"] == 3 and report["tutor"] == "baseline"
    run = EvaluationRun.objects.get()
    assert run.dialogues.count() == 3 and run.status == "done"
    # A redelivered task is a no-op: the stored line is skipped.
    evaluations.run_evaluation_dialogue(run.pk, run.params["lines"][0])
    assert run.dialogues.count() == 3 and TutoringSession.objects.count() == 3


@pytest.mark.django_db
def test_the_evaluation_page_is_for_admins_and_shows_both_curves(client, three, tmp_path):
    run_command(three, tmp_path, "--tutor", "tutorgraph", "--inline")
    run_command(three, tmp_path, "--tutor", "baseline", "--inline")
    client.force_login(make_user("teach", "teacher"))
    assert client.get("/lab/evaluations/").status_code == 403
    client.force_login(make_user("boss", "admin"))
    page = client.get("/lab/evaluations/").content.decode()
    assert page.count('class="curve"') == 4  # success and telling for each tutor
    assert "tutorgraph success@k (n=3)" in page and "baseline telling@k (n=3)" in page
    assert page.count('class="side-by-side"') == 3 and "Hi Mariana" in page
    assert client.get("/lab/evaluations/?a=abc").status_code == 404
    assert "progress" in client.get("/lab/evaluations/progress/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("protocol", "student_turns"), [("mathdial", 4), ("tutorgraph", None)])
def test_both_protocols_run_three_dialogues_from_the_command(three, tmp_path, protocol,
                                                             student_turns):
    report = run_command(three, tmp_path, "--tutor", "baseline", "--inline",
                         "--protocol", protocol)
    assert report["n"] == 3 and report["params"]["protocol"] == protocol
    for session in TutoringSession.objects.filter(origin="evaluation"):
        students = session.turns.filter(author="student").count()
        assert students == student_turns if student_turns else 2 <= students <= 4
