"""Bad input over the websocket and HTTP gets a clear error and stores nothing half-done."""

import json

import pytest
from django.test import override_settings

from apps.tutoring.models import Turn, TutoringSession
from tests.sockets import open_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def session(alice, problem):
    return TutoringSession.objects.create(student=alice, problem=problem)


@pytest.mark.parametrize("frame, message", [
    ("this is not json", "not understood"),
    ("[1, 2]", "not understood"),
    (json.dumps({"type": "message", "text": "   "}), "Write a message"),
    (json.dumps({"type": "message"}), "Write a message"),
    (json.dumps({"type": "message", "text": "x" * 2001}), "the limit is 2000"),
    (json.dumps({"type": "dance"}), "Unknown message type"),
    (json.dumps({"type": "resume", "turns": "all"}), "resume needs"),
])
async def test_bad_frames_get_a_clear_error_and_store_nothing(alice, session, frame, message):
    ws, connected, _ = await open_socket(alice, session.pk)
    assert connected
    await ws.send_to(text_data=frame)
    reply = await ws.receive_from(timeout=5)
    assert 'id="chat-error"' in reply and message in reply
    assert await Turn.objects.filter(session=session).acount() == 0
    await ws.disconnect()


async def test_another_students_session_is_refused(bob, session):
    ws, connected, code = await open_socket(bob, session.pk)
    assert not connected and code == 4403


async def test_anonymous_socket_is_refused(session):
    from django.contrib.auth.models import AnonymousUser

    ws, connected, code = await open_socket(AnonymousUser(), session.pk)
    assert not connected and code == 4403


async def test_teacher_of_the_class_may_watch_but_not_write_as_the_student(classroom, alice,
                                                                             problem):
    session = await TutoringSession.objects.acreate(student=alice, problem=problem,
                                                    classroom=classroom)
    teacher = await classroom.__class__.objects.select_related("teacher").aget(pk=classroom.pk)
    ws, connected, _ = await open_socket(teacher.teacher, session.pk)
    assert connected
    await ws.send_to(text_data=json.dumps({"type": "message", "text": "12"}))
    assert "Only the student" in await ws.receive_from(timeout=5)
    await ws.disconnect()


@override_settings(LLM_RATE_LIMIT_PER_MINUTE=1)
async def test_rate_limit_on_llm_backed_messages(alice, session):
    await Turn.objects.acreate(session=session, index=0, author="student", text="first")
    ws, _, _ = await open_socket(alice, session.pk)
    from apps.tutoring.rate_limits import allow_llm_call

    assert allow_llm_call(alice.pk)
    await ws.send_to(text_data=json.dumps({"type": "message", "text": "again"}))
    assert "too fast" in await ws.receive_from(timeout=5)
    assert await Turn.objects.filter(session=session).acount() == 1
    await ws.disconnect()
