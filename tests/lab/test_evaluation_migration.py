"""Moving tutor evaluations from `tutoring` to `lab` keeps every stored run and dialogue."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tutoring", "0005_turn_reply_verdict"), ("lab", "0003_experiment_status_progress_from_job")]


def migrate(targets=None):
    """Migrate to `targets` (the latest migrations when None) and return the models there."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_runs_and_dialogues_stored_in_tutoring_survive_the_move():
    old = migrate(BEFORE)
    problem = old.get_model("problems", "Problem").objects.create(
        source="mathdial", source_key="q1", statement="2 + 2?", gold_answer="4")
    session = old.get_model("tutoring", "TutoringSession").objects.create(
        problem=problem, origin="evaluation", status="closed")
    Run = old.get_model("tutoring", "EvaluationRun")
    done = Run.objects.create(tutor="baseline", engine="scripted", student_engine="scripted",
                              dataset="dev.jsonl", total=2, status="done", report={"n": 2},
                              params={"k_max": 1, "seed": 0})
    running = Run.objects.create(tutor="tutorgraph", engine="scripted", student_engine="scripted",
                                 dataset="dev.jsonl", total=4, status="running")
    old.get_model("tutoring", "EvaluationDialogue").objects.create(
        run=running, line=3, qid="q1", session=session, result={"s": 1})

    new = migrate()
    Run = new.get_model("lab", "EvaluationRun")
    assert Run._meta.db_table == "lab_evaluationrun"
    moved = {run.pk: run for run in Run.objects.all()}
    assert moved.keys() == {done.pk, running.pk}
    assert (moved[done.pk].status, moved[done.pk].report, moved[done.pk].progress) == ("done", {"n": 2}, 1.0)
    assert (moved[running.pk].status, moved[running.pk].progress) == ("running", 0.25)
    assert all(run.started_at == run.created_at for run in moved.values())
    (dialogue,) = new.get_model("lab", "EvaluationDialogue").objects.filter(run_id=running.pk)
    assert (dialogue.line, dialogue.session_id, dialogue.result) == (3, session.pk, {"s": 1})
    later = Run.objects.create(tutor="baseline", engine="scripted", student_engine="scripted",
                               dataset="dev.jsonl", total=1)
    assert later.pk > running.pk and later.status == "queued"  # the id sequence moved with it
