"""Faults during a turn: a killed worker, a dropped socket, a failing engine. Nothing is lost."""

import json
import os
import signal
from pathlib import Path

import pytest

from agents.llm import ScriptedEngine
from apps.traces.models import LLMCall, Run
from apps.tutoring.models import Turn, TutoringSession
from apps.tutoring.services import RETRY_MESSAGE
from config.stack import stop_process
from tests.conftest import start_worker
from tests.sockets import TOKEN, connect, frames_until_final

pytestmark = [pytest.mark.asyncio, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


@pytest.fixture
def session(alice, problem):
    return TutoringSession.objects.create(student=alice, problem=problem)


# Long enough to be cut mid-stream, short enough for the reply verifier (three sentences, one
# question at the end), so the page is shown exactly the engine's text.
LONG_REPLY = " ".join(["Let us look at each step of your work together, one at a time, slowly."] * 2
                      + ["Which step did you do first, and why did you choose that one?"])


@pytest.fixture
def slow_worker(transactional_db):
    # Replies reach the page a whole sentence at a time: a three-sentence reply is still
    # streaming when its first sentence arrives, so the kill lands mid-turn.
    proc = start_worker("slow", LLM_SCRIPTED_TOKEN_DELAY_S="0.3",
                        LLM_SCRIPTED_REPLIES=json.dumps([LONG_REPLY]))
    yield proc
    stop_process(proc)


async def test_worker_killed_mid_stream_retries_the_turn_once_and_keeps_the_message(
        slow_worker, alice, session):
    ws = await connect(alice, session.pk)
    await ws.send_to(text_data=json.dumps({"type": "message", "text": "I added them: 9"}))
    await ws.receive_from(timeout=60)
    tutor_turn = await Turn.objects.aget(session=session, author="tutor")
    first_tokens = await ws.receive_from(timeout=60)
    assert TOKEN.search(first_tokens)
    [child] = pool_children(slow_worker.pid)
    os.kill(child, signal.SIGKILL)

    frames = await frames_until_final(ws, tutor_turn.pk)
    assert any(f'id="turn-{tutor_turn.pk}-body" hx-swap-oob="innerHTML"' in f for f in frames)
    assert LONG_REPLY in frames[-1]
    await ws.disconnect()
    turns = [t async for t in Turn.objects.filter(session=session).order_by("index")]
    assert [(t.author, t.status) for t in turns] == [("student", "done"), ("tutor", "done")]
    assert turns[0].text == "I added them: 9"
    assert (turns[1].text, turns[1].attempts) == (LONG_REPLY, 2)
    assert await Run.objects.filter(subject_id=turns[1].pk).acount() == 1


@pytest.fixture
def long_reply_worker(transactional_db):
    proc = start_worker("long", LLM_SCRIPTED_TOKEN_DELAY_S="0.1",
                        LLM_SCRIPTED_REPLIES=json.dumps([LONG_REPLY]))
    yield proc
    stop_process(proc)


async def test_dropped_socket_gets_exactly_the_missed_tokens_once(long_reply_worker, alice,
                                                                   session):
    ws = await connect(alice, session.pk)
    await ws.send_to(text_data=json.dumps({"type": "message", "text": "17"}))
    await ws.receive_from(timeout=60)
    tutor_turn = await Turn.objects.aget(session=session, author="tutor")
    seen = TOKEN.findall(await ws.receive_from(timeout=60))
    await ws.disconnect()

    again = await connect(alice, session.pk)
    last = int(seen[-1][0])
    await again.send_to(text_data=json.dumps({"type": "resume", "turns": {tutor_turn.pk: last}}))
    frames = await frames_until_final(again, tutor_turn.pk)
    missed = [(seq, text) for f in frames for seq, text in TOKEN.findall(f)]
    seqs = [int(seq) for seq, _ in seen + missed]
    assert seqs == list(range(1, len(seqs) + 1)), "a token was lost or repeated"
    assert missed, "the turn finished before the page came back; nothing was replayed"
    assert "".join(t for _, t in seen + missed) == LONG_REPLY
    await again.disconnect()


@pytest.fixture
def failing_worker(transactional_db):
    proc = start_worker("failing", LLM_SCRIPTED_REPLIES=json.dumps([ScriptedEngine.FAIL]))
    yield proc
    stop_process(proc)


async def test_engine_failure_gives_a_clear_retry_message_and_is_traced(failing_worker, alice,
                                                                        session):
    ws = await connect(alice, session.pk)
    await ws.send_to(text_data=json.dumps({"type": "message", "text": "is it 20?"}))
    await ws.receive_from(timeout=60)
    tutor_turn = await Turn.objects.aget(session=session, author="tutor")
    frames = await frames_until_final(ws, tutor_turn.pk)
    assert RETRY_MESSAGE in frames[-1]
    await tutor_turn.arefresh_from_db()
    assert tutor_turn.status == "failed"
    run = await Run.objects.aget(subject_id=tutor_turn.pk)
    assert run.status == "failed" and "scripted engine failure" in run.error
    call = await LLMCall.objects.aget(run=run)
    assert call.error == "scripted engine failure"

    await ws.send_to(text_data=json.dumps({"type": "message", "text": "is it 20?"}))
    assert "is it 20?" in await ws.receive_from(timeout=60), "the student can send again"
    await ws.disconnect()
