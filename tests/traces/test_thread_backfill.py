"""The thread migration puts runs traced before it into their tutoring session's thread, so the
session page's "traces" link shows them too."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.traces.models import Run
from apps.tutoring.models import Turn, TutoringSession

BEFORE = [("traces", "0004_llmcall_stored_search")]


@pytest.mark.django_db(transaction=True)
def test_runs_of_turns_traced_before_threads_existed_are_put_in_their_sessions_thread(alice, problem):
    session = TutoringSession.objects.create(student=alice, problem=problem)
    turn = Turn.objects.create(session=session, index=0, author="tutor", text="Why 24?")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_run = executor.loader.project_state(BEFORE).apps.get_model("traces", "Run")
    now = timezone.now()
    of_turn, atlas = (old_run.objects.create(source=source, name="x", started_at=now, ended_at=now,
                                             subject_type_id=type_id, subject_id=subject_id)
                      for source, type_id, subject_id in (
                          ("tutoring", ContentType.objects.get_for_model(Turn).pk, turn.pk),
                          ("atlas", None, None)))
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Run.objects.get(pk=of_turn.pk).thread == session.trace_thread == f"tutoring-session:{session.pk}"
    assert Run.objects.get(pk=atlas.pk).thread == ""
