"""One tutoring turn end to end: websocket in, real Celery worker, tokens out, turn + trace stored."""

import json
import re

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from apps.traces.models import LLMCall, Run
from apps.tutoring.models import Turn, TutoringSession
from apps.tutoring.routing import websocket_urlpatterns
from tests.conftest import SCRIPTED_REPLY

pytestmark = [pytest.mark.asyncio, pytest.mark.worker]
SEQ = re.compile(r'data-seq="(\d+)">(.*?)</span>', re.S)


async def connect(user, session_id: int) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns),
                                         f"/ws/sessions/{session_id}/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive_until_done(communicator, turn_id: int) -> list[str]:
    frames = []
    while True:
        frame = await communicator.receive_from(timeout=20)
        frames.append(frame)
        if f'id="turn-{turn_id}"' in frame and "hx-swap-oob=\"outerHTML\"" in frame:
            return frames


def token_events(frames: list[str]) -> list[tuple[int, str]]:
    return [(int(seq), text) for f in frames for seq, text in SEQ.findall(f)]


@pytest.fixture
def session(alice, problem):
    return TutoringSession.objects.create(student=alice, problem=problem)


async def test_turn_streams_in_order_and_is_stored_with_its_trace(worker, alice, session):
    ws = await connect(alice, session.pk)
    await ws.send_to(text_data=json.dumps({"type": "message", "text": "I got 17 apples."}))
    first = await ws.receive_from(timeout=10)
    assert "I got 17 apples." in first and 'id="turns" hx-swap-oob="beforeend"' in first
    tutor_turn = await Turn.objects.aget(session=session, author="tutor")
    frames = await receive_until_done(ws, tutor_turn.pk)
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


async def test_reconnecting_page_gets_only_the_events_it_missed(worker, alice, session):
    ws = await connect(alice, session.pk)
    await ws.send_to(text_data=json.dumps({"type": "message", "text": "18"}))
    await ws.receive_from(timeout=10)
    tutor_turn = await Turn.objects.aget(session=session, author="tutor")
    all_events = token_events(await receive_until_done(ws, tutor_turn.pk))
    await ws.disconnect()

    again = await connect(alice, session.pk)
    await again.send_to(text_data=json.dumps({"type": "resume", "turns": {tutor_turn.pk: 2}}))
    frames = await receive_until_done(again, tutor_turn.pk)
    assert token_events(frames) == [e for e in all_events if e[0] > 2]
    assert await again.receive_nothing(timeout=0.3)
    await again.disconnect()
    session_after = await TutoringSession.objects.aget(pk=session.pk)
    assert session_after.status == "solved"
