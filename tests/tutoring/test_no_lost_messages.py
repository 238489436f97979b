"""Nothing the student sends is lost or doubled: client ids, the busy answer the page's outbox
waits on, resume after a reconnect, takeover hand-back, and a worker that dies whole.

Turns go through the real consumer, Redis and a real Celery worker with the scripted engine."""

import asyncio
import json
import os
import re
import signal
import subprocess

import pytest
from asgiref.sync import sync_to_async

from apps.tutoring import takeover
from apps.tutoring.models import Turn, TutoringSession
from config.stack import stop_process
from tests.conftest import SCRIPTED_REPLY, start_worker
from tests.sockets import TOKEN, connect, connect_path, frames_until_final

REPLY_HTML = SCRIPTED_REPLY.replace("'", "&#x27;")
ACK = re.compile(r'data-ack="([^"]*)" data-result="(\w+)"')
SLOW = {"LLM_SCRIPTED_TOKEN_DELAY_S": "0.25"}  # a reply streams for ~2.5 s
# Sentences reach the page one at a time (the verifier holds each back until it is whole): a
# reply of three slow sentences streams for ~13 s, so a reconnect lands mid-turn. It is one the
# reply verifier accepts (three sentences, one question at the end), so the page shows it as is.
LONG_REPLY = ("Let us look again. Think about what one bag holds and how many bags there are. "
              "What do you get when you count them all?")
CRAWL = {"LLM_SCRIPTED_TOKEN_DELAY_S": "0.5", "LLM_SCRIPTED_REPLIES": json.dumps([LONG_REPLY])}


@pytest.fixture
def session(alice, problem, classroom):
    return TutoringSession.objects.create(student=alice, problem=problem, classroom=classroom)


async def send(ws, text: str, client_id: str) -> None:
    await ws.send_to(text_data=json.dumps({"type": "message", "text": text,
                                           "client_id": client_id}))


async def ack_of(ws, client_id: str, timeout: float = 30) -> str:
    """The outbox acknowledgement of one message (other frames are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            found = ACK.search(await ws.receive_from(timeout=timeout))
            if found and found[1] == client_id:
                return found[2]


def page_body(frames: list[str], turn_id: int, body: str = "", seqs=None):
    """What the page shows in a streaming turn's body after these frames (HTMX's swaps: tokens
    append, reset clears), and the sequence numbers appended since the last clear."""
    seqs = list(seqs or [])
    for frame in frames:
        if f'id="turn-{turn_id}-body" hx-swap-oob="innerHTML"' in frame or (
                'id="card-' in frame and f'id="turn-{turn_id}-body"' in frame):
            body, seqs = "", []  # a reset, or a card re-rendered with the turn's empty body
        for seq, text in TOKEN.findall(frame):
            body += text
            seqs.append(int(seq))
    return body, seqs


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_resent_message_is_stored_once(alice, session):
    ws = await connect(alice, session.pk)
    await send(ws, "I got 17.", "m-1")
    assert await ack_of(ws, "m-1") == "stored"
    await send(ws, "I got 17.", "m-1")  # the page lost the ack in a reconnect and resends
    assert await ack_of(ws, "m-1") == "stored"
    await ws.disconnect()
    again = await connect(alice, session.pk)
    await send(again, "I got 17.", "m-1")
    assert await ack_of(again, "m-1") == "stored"
    await again.disconnect()
    turns = [t async for t in Turn.objects.filter(session=session).order_by("index")]
    assert [(t.author, t.text, t.client_id) for t in turns] == [
        ("student", "I got 17.", "m-1"), ("tutor", "", "")]


@pytest.mark.asyncio
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
async def test_a_second_message_while_the_tutor_answers_waits_then_is_answered(alice, session):
    worker = await sync_to_async(start_worker)(**SLOW)
    try:
        ws = await connect(alice, session.pk)
        await send(ws, "I got 17.", "m-1")
        assert await ack_of(ws, "m-1") == "stored"
        await send(ws, "or is it 18?", "m-2")
        assert await ack_of(ws, "m-2") == "busy"  # the outbox keeps it; nothing is stored
        assert await Turn.objects.filter(session=session, author="student").acount() == 1
        first = await Turn.objects.aget(session=session, author="tutor")
        await frames_until_final(ws, first.pk)
        await send(ws, "or is it 18?", "m-2")  # the outbox sends it after the reply
        assert await ack_of(ws, "m-2") == "stored"
        second = await Turn.objects.filter(session=session, author="tutor").alatest("index")
        frames = await frames_until_final(ws, second.pk)
        assert REPLY_HTML in frames[-1]
        await ws.disconnect()
    finally:
        await sync_to_async(stop_process)(worker)
    texts = [t async for t in Turn.objects.filter(session=session, author="student")
             .order_by("index").values_list("text", flat=True)]
    assert texts == ["I got 17.", "or is it 18?"]


@pytest.mark.asyncio
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
async def test_a_message_sent_during_a_takeover_is_answered_after_hand_back(alice, session,
                                                                            classroom):
    worker = await sync_to_async(start_worker)()
    try:
        await sync_to_async(takeover.take_over)(session, classroom.teacher)
        ws = await connect(alice, session.pk)
        await send(ws, "I am stuck", "m-1")
        assert await ack_of(ws, "m-1") == "stored"
        assert not await Turn.objects.filter(session=session, author="tutor").aexists()
        await sync_to_async(takeover.hand_back)(session, classroom.teacher)
        reply = await Turn.objects.aget(session=session, author="tutor")
        frames = await frames_until_final(ws, reply.pk)
        assert REPLY_HTML in frames[-1]
        await ws.disconnect()
    finally:
        await sync_to_async(stop_process)(worker)
    await reply.arefresh_from_db()
    assert (reply.status, reply.text) == ("done", SCRIPTED_REPLY)
    assert (await Turn.objects.aget(pk=reply.reply_to_id)).text == "I am stuck"


async def frames_for(ws, seconds: float) -> list[str]:
    frames = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                frames.append(await ws.receive_from(timeout=seconds + 1))
    except TimeoutError:
        return frames


@pytest.mark.asyncio
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("resume_after_s", [1.2, 3.0])  # before / after live events flow
async def test_a_page_and_a_monitor_that_reconnect_mid_turn_show_each_token_once(
        alice, session, classroom, resume_after_s):
    worker = await sync_to_async(start_worker)(**CRAWL)
    try:
        page = await connect(alice, session.pk)
        await send(page, "I got 17.", "m-1")
        tutor = None
        seen: list[str] = []
        while "Let us look again." not in page_body(seen, tutor.pk if tutor else 0)[0]:
            seen.append(await page.receive_from(timeout=60))
            tutor = tutor or await Turn.objects.filter(session=session, author="tutor").afirst()
        await page.disconnect()
        body, seqs = page_body(seen, tutor.pk)

        again = await connect(alice, session.pk)
        monitor = await connect_path(classroom.teacher,
                                     f"/ws/classrooms/{classroom.pk}/monitor/")
        await asyncio.sleep(resume_after_s)  # live events reach the new sockets meanwhile
        await again.send_to(text_data=json.dumps({"type": "resume",
                                                  "turns": {tutor.pk: max(seqs)}}))
        await monitor.send_to(text_data=json.dumps({"type": "resume", "turns": {}}))
        frames = await frames_until_final(again, tutor.pk)
        before = (body, seqs)
        body, seqs = page_body(frames, tutor.pk, body, seqs)
        assert body == LONG_REPLY, (before, frames)
        assert len(frames) > 1  # tokens came after the resume: the reconnect was mid-turn
        assert seqs == sorted(set(seqs))  # no token twice, none out of order
        monitor_frames = await frames_for(monitor, 3)
        streamed = [f for f in monitor_frames if "</span>" in f or f'id="card-{session.pk}"' in f]
        _, monitor_seqs = page_body(streamed[:-1], tutor.pk)
        assert monitor_seqs == sorted(set(monitor_seqs))
        assert LONG_REPLY in streamed[-1] and f'id="card-{session.pk}"' in streamed[-1]
        await again.disconnect()
        await monitor.disconnect()
    finally:
        await sync_to_async(stop_process)(worker)


def kill_whole(process: subprocess.Popen) -> None:
    """SIGKILL a Celery worker and its pool children at once, as a machine loss would."""
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True,
                              text=True).stdout.split()
    for pid in [process.pid, *map(int, children)]:
        os.kill(pid, signal.SIGKILL)
    process.wait()


@pytest.mark.asyncio
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
async def test_a_turn_whose_worker_died_whole_is_retried_once_and_shown(alice, session,
                                                                         settings):
    settings.TUTOR_LEASE_CHECK_S = 1
    lease = {**CRAWL, "TUTOR_LEASE_S": "4", "TUTOR_HEARTBEAT_S": "1"}
    doomed = await sync_to_async(start_worker)("doomed", **lease)
    ws = await connect(alice, session.pk)
    await send(ws, "I got 17.", "m-1")
    seen: list[str] = []
    tutor = None
    while tutor is None or "Let us look again." not in page_body(seen, tutor.pk)[0]:
        seen.append(await ws.receive_from(timeout=60))
        tutor = await Turn.objects.aget(session=session, author="tutor")
    await sync_to_async(kill_whole)(doomed)
    rescuer = await sync_to_async(start_worker)("rescuer", **lease)
    try:
        frames = await frames_until_final(ws, tutor.pk)
        while "trying again" in frames[-1]:  # the retry notice, then the reply
            frames += await frames_until_final(ws, tutor.pk)
        await ws.disconnect()
    finally:
        await sync_to_async(stop_process)(rescuer)
    assert any("worker stopped; trying again" in f for f in frames)  # the page said so
    assert LONG_REPLY in frames[-1]
    await tutor.arefresh_from_db()
    assert (tutor.status, tutor.text, tutor.attempts) == ("done", LONG_REPLY, 2)
    assert await Turn.objects.filter(session=session, author="tutor").acount() == 1
