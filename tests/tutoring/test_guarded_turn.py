"""run_turn with the guard: a leaked answer never reaches the stream, the page is told to reset,
the turn keeps the original text verbatim, and the graph state survives a new worker."""

import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg import Connection
from psycopg.rows import dict_row

from agents.llm import ScriptedEngine
from apps.tutoring import services
from apps.tutoring.checkpoints import conninfo, thread_id
from apps.tutoring.models import TutoringSession
from apps.tutoring.streaming import replay_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(alice, problem):
    return TutoringSession.objects.create(student=alice, problem=problem,
                                          classroom=alice.classrooms.get())


def take_turn(session, text, monkeypatch, replies):
    monkeypatch.setattr(services, "get_llm", lambda: ScriptedEngine(replies))
    _student, tutor = services.post_student_message(session, text)
    services.run_turn(tutor.pk)
    tutor.refresh_from_db()
    return tutor, replay_events(tutor.pk, 0)


def test_a_leaking_reply_is_held_back_reset_and_replaced_by_a_template(session, monkeypatch):
    leak = "Nice try. Actually there are 18 apples."
    tutor, events = take_turn(session, "I added 3 + 6 = 9", monkeypatch,
                              [leak, "It is eighteen, you see."])
    shown = "".join(e.get("text", "") for e in events)
    kinds = [e["kind"] for e in events]
    assert "18" not in shown and "eighteen" not in shown
    assert kinds.count("reset") == 1 and kinds[-1] == "done"
    after_reset = "".join(e.get("text", "") for e in events[kinds.index("reset"):])
    assert after_reset == tutor.text and "3 + 6 = 9" in tutor.text  # the template names the step
    assert tutor.move == "focus"
    assert tutor.verdict["outcome"] == "template" and "leak" in tutor.verdict["reasons"]
    assert [g["original"] for g in tutor.guard] == [leak, "It is eighteen, you see."]
    assert tutor.guard[0]["leaks"][0]["kind"] == "final" and tutor.detections == []


def test_a_clean_reply_streams_whole_and_the_state_outlives_the_worker(session, monkeypatch):
    tutor, events = take_turn(session, "3 + 6 = 9", monkeypatch, ["Hmm. Why did you add?"])
    assert "".join(e.get("text", "") for e in events) == "Hmm. Why did you add?"
    assert "reset" not in [e["kind"] for e in events] and tutor.guard == []
    assert tutor.move == "focus" and tutor.verdict["outcome"] == "accepted"
    # A fresh checkpointer (as in a restarted worker) finds the session's graph state.
    with Connection.connect(conninfo(), autocommit=True, row_factory=dict_row) as conn:
        state = PostgresSaver(conn).get_tuple({"configurable": {"thread_id": thread_id(session.pk)}})
    assert state.checkpoint["channel_values"]["history"]["0"]["move"] == "focus"
    second, _ = take_turn(session, "3 + 6 = 9", monkeypatch, ["What does each bag hold?"])
    assert second.move == "probing"  # the policy saw the checkpointed focus move
