"""One tutoring turn end to end: websocket in, real Celery worker, tokens out, turn + trace stored."""

import json

import pytest

from apps.traces.models import LLMCall, Run
from apps.tutoring.models import Turn, TutoringSession
from tests.conftest import SCRIPTED_REPLY
from tests.sockets import connect, frames_until_final, token_events

pytestmark = [pytest.mark.asyncio, pytest.mark.worker]


@pytest.fixture
def session(alice, problem):
    return TutoringSession.objects.create(student=alice, problem=problem)


async def test_turn_streams_in_order_and_is_stored_with_its_trace(worker, alice, session):
    ws = await connect(alice, session.pk)
    await ws.send_to(text_data=json.dumps({"type": "message", "text": "I got 17 apples."}))
    first = await ws.receive_from(timeout=60)
    assert "I got 17 apples." in first and 'id="turns" hx-swap-oob="beforeend"' in first
    tutor_turn = await Turn.objects.aget(session=session, author="tutor")
    frames = await frames_until_final(ws, tutor_turn.pk)
    events = token_events(frames)
    assert [seq for seq, _ in events] == list(range(1, len(events) + 1))
    assert "".join(text for _, text in events) == SCRIPTED_REPLY.replace("'", "&#x27;")
    assert SCRIPTED_REPLY in frames[-1]
    await ws.disconnect()

    await tutor_turn.arefresh_from_db()
    assert (tutor_turn.status, tutor_turn.text) == ("done", SCRIPTED_REPLY)
    student_turn = await Turn.objects.aget(session=session, author="student")
    assert (student_turn.student_answer, student_turn.is_correct) == ("17", False)
    run = await Run.objects.aget(subject_id=tutor_turn.pk)
    span_names = [s.name async for s in run.spans.order_by("position")]
    assert span_names == ["tutor_turn", "assess", "detect", "choose_move", "respond", "guard"]
    call = await LLMCall.objects.aget(run=run)
    assert call.completion == SCRIPTED_REPLY and call.engine == "scripted"
    assert "I got 17 apples." in call.messages[-1]["content"]


async def test_page_reconnecting_after_the_turn_finished_gets_the_stored_turn(worker, alice,
                                                                              session):
    ws = await connect(alice, session.pk)
    await ws.send_to(text_data=json.dumps({"type": "message", "text": "18"}))
    await ws.receive_from(timeout=60)
    tutor_turn = await Turn.objects.aget(session=session, author="tutor")
    await frames_until_final(ws, tutor_turn.pk)
    await ws.disconnect()

    again = await connect(alice, session.pk)
    await again.send_to(text_data=json.dumps({"type": "resume", "turns": {tutor_turn.pk: 2}}))
    [frame] = await frames_until_final(again, tutor_turn.pk)
    assert SCRIPTED_REPLY.replace("'", "&#x27;") in frame and not token_events([frame])
    assert await again.receive_nothing(timeout=0.3)
    await again.disconnect()
    session_after = await TutoringSession.objects.aget(pk=session.pk)
    assert session_after.status == "solved"
