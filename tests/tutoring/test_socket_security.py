"""Socket edges: the page's origin (scheme, host and port), access re-checked before every
action, and frames that once closed the socket with 1011."""

import asyncio
import json

import pytest
from django.contrib.sessions.models import Session
from websockets.exceptions import ConnectionClosed, InvalidStatus

from apps.tutoring.models import Turn, TutoringSession
from apps.tutoring.socket_guard import same_origin
from tests.conftest import make_user
from tests.sockets import connect, live_socket, recv_until, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session(alice, problem, classroom):
    return TutoringSession.objects.create(student=alice, problem=problem, classroom=classroom)


def scope(origin: str, host: str = "127.0.0.1:8000", scheme: str = "ws") -> dict:
    return {"type": "websocket", "scheme": scheme,
            "headers": [(b"origin", origin.encode()), (b"host", host.encode())]}


@pytest.mark.parametrize(("origin", "host", "scheme", "ok"), [
    ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", True),
    ("http://127.0.0.1:9999", "127.0.0.1:8000", "ws", False),  # another port on the host
    ("https://127.0.0.1:8000", "127.0.0.1:8000", "ws", False),  # another scheme
    ("http://localhost:8000", "127.0.0.1:8000", "ws", False),  # another host
    ("https://localhost", "localhost", "wss", True),
    ("http://evil.example:8000", "evil.example:8000", "ws", False),  # not an allowed host
    ("null", "127.0.0.1:8000", "ws", False),
])
def test_origin_must_match_scheme_host_and_port(origin, host, scheme, ok):
    assert same_origin(scope(origin, host, scheme)) is ok


def test_a_trusted_origin_is_accepted(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://tutor.example.org"]
    assert same_origin(scope("https://tutor.example.org", "10.0.0.5:8000"))


def test_the_server_refuses_a_socket_from_another_port_and_accepts_its_own(web_server, alice,
                                                                            session):
    cookie = session_cookie(alice)
    port = web_server.rsplit(":", 1)[1]
    other = f"http://127.0.0.1:{int(port) + 1}"

    async def probe() -> None:
        with pytest.raises(InvalidStatus):
            async with live_socket(web_server, f"/ws/sessions/{session.pk}/", cookie,
                                   origin=other):
                pass
        async with live_socket(web_server, f"/ws/sessions/{session.pk}/", cookie) as ws:
            await ws.send(json.dumps({"type": "resume", "turns": {}}))

    asyncio.run(probe())


def test_an_old_monitor_socket_cannot_act_after_logout_or_after_the_class_moves(
        web_server, classroom, session):
    teacher = classroom.teacher
    cookies = [session_cookie(teacher), session_cookie(teacher)]
    path = f"/ws/classrooms/{classroom.pk}/monitor/"

    async def refused(ws) -> int:
        await ws.send(json.dumps({"type": "take_over", "session": session.pk}))
        frame = await recv_until(ws, "chat-error")
        assert "signed out or no longer have access" in frame
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        return closed.value.rcvd.code

    async def journey() -> None:
        async with live_socket(web_server, path, cookies[0]) as ws:
            await asyncio.to_thread(log_out, cookies[0])
            assert await refused(ws) == 4403
        async with live_socket(web_server, path, cookies[1]) as ws:
            await asyncio.to_thread(move_class, classroom)
            assert await refused(ws) == 4403

    asyncio.run(journey())
    session.refresh_from_db()
    assert session.taken_over_by is None


def log_out(cookie: str) -> None:
    """What the logout view does to the server side: the session is flushed."""
    Session.objects.filter(session_key=cookie.split("=", 1)[1]).delete()


def move_class(classroom) -> None:
    classroom.teacher = make_user("other-teacher", "teacher")
    classroom.save(update_fields=["teacher"])


@pytest.mark.asyncio
@pytest.mark.parametrize(("frame", "says"), [
    ('{"type": "message", "text": "a\\u0000b", "client_id": "m1"}', "NUL character"),
    ('{"type": "message", "text": "x\\ud800y", "client_id": "m1"}', "lone surrogate"),
    ('{"type": "message", "text": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deeply"),
    ('{"type": "message", "text": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}',
     "nested too deeply"),
    ("not json", "expected JSON"),
])
async def test_bad_frames_get_an_error_frame_keep_the_socket_and_cost_no_rate_limit(
        alice, session, settings, frame, says):
    settings.LLM_RATE_LIMIT_PER_MINUTE = 1
    ws = await connect(alice, session.pk)
    for _ in range(3):
        await ws.send_to(text_data=frame)
        reply = await ws.receive_from(timeout=10)
        assert says in reply
    await ws.send_to(text_data=json.dumps({"type": "message", "text": "I got 18.",
                                           "client_id": "good"}))
    while 'data-result="stored"' not in (reply := await ws.receive_from(timeout=10)):
        assert "too fast" not in reply
    await ws.disconnect()
    assert await Turn.objects.filter(session=session, author="student").acount() == 1
