"""Sockets that stay quiet longer than the Redis client's read timeout still work.

redis-py 8 aborts a socket read after 5 s by default; the channel layer's receive blocks for
5 s on BZPOPMIN, so an idle consumer used to die with 1011 every ~5 s. Real daphne, real Redis,
real worker: nothing here is an in-memory layer.
"""

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from apps.tutoring import services
from tests.conftest import SCRIPTED_REPLY
from tests.sockets import live_socket, recv_until, session_cookie

pytestmark = [pytest.mark.worker]
IDLE_S = 12  # longer than redis-py 8's default 5 s socket timeout, twice over


async def stays_open(ws, seconds: float) -> None:
    """Nothing arrives and nothing closes for `seconds`."""
    try:
        frame = await asyncio.wait_for(ws.recv(), timeout=seconds)
    except TimeoutError:
        return
    except ConnectionClosed as closed:
        pytest.fail(f"the socket closed while idle: {closed.rcvd}")
    pytest.fail(f"an idle socket got a frame: {frame[:200]}")


def test_student_and_monitor_sockets_idle_past_the_redis_timeout_then_get_the_reply(
        web_server, worker, alice, classroom, problem):
    session = services.start_session(alice, problem)
    student_cookie, teacher_cookie = session_cookie(alice), session_cookie(classroom.teacher)

    async def journey() -> None:
        async with (live_socket(web_server, f"/ws/sessions/{session.pk}/", student_cookie) as student,
                    live_socket(web_server, f"/ws/classrooms/{classroom.pk}/monitor/",
                                teacher_cookie) as monitor):
            await asyncio.gather(stays_open(student, IDLE_S), stays_open(monitor, IDLE_S))
            await student.send(json.dumps({"type": "message", "text": "I think it is 17."}))
            reply = await recv_until(student, "turn tutor done", timeout=90)
            assert SCRIPTED_REPLY.replace("'", "&#x27;") in reply
            card = await recv_until(monitor, SCRIPTED_REPLY.replace("'", "&#x27;"), timeout=30)
            assert f'id="card-{session.pk}"' in card

    asyncio.run(journey())
