"""Takeover: the teacher writes in a student's session as themselves while the tutor waits."""

import json

import pytest

from apps.accounts.models import AuditEvent
from apps.traces.models import Run
from apps.tutoring import takeover
from apps.tutoring.models import Turn, TutoringSession
from apps.tutoring.services import TutoringError, post_student_message
from tests.conftest import make_user
from tests.sockets import connect_path


@pytest.fixture
def session(alice, problem, classroom):
    return TutoringSession.objects.create(student=alice, problem=problem, classroom=classroom)


@pytest.mark.django_db
def test_take_over_write_and_hand_back_are_stored_traced_and_audited(session, classroom):
    teacher = classroom.teacher
    with pytest.raises(TutoringError, match="Take over the session"):
        takeover.post_teacher_message(session, teacher, "hello")
    takeover.take_over(session, teacher)
    session.refresh_from_db()
    assert session.taken_over_by == teacher
    with pytest.raises(TutoringError, match="Another teacher"):
        takeover.take_over(session, make_user("other", "teacher"))

    turn = takeover.post_teacher_message(session, teacher, "  Look at the bags again.  ")
    assert (turn.author, turn.author_user, turn.text, turn.index) == (
        "teacher", teacher, "Look at the bags again.", 0)
    run = Run.objects.get(name="teacher_message")
    assert (run.user, run.subject_id) == (teacher, turn.pk)
    assert [s.name for s in run.spans.all()] == ["teacher_message"]

    student_turn, tutor_turn = post_student_message(session, "oh, 3 times 6")
    assert (student_turn.author, student_turn.index, tutor_turn) == ("student", 1, None)
    assert not session.turns.filter(author="tutor").exists()  # the tutor stays paused

    takeover.hand_back(session, teacher)
    session.refresh_from_db()
    assert session.taken_over_by is None
    # the message sent during the takeover is not left unanswered: the tutor replies to it
    reply = session.turns.get(author="tutor")
    assert (reply.reply_to, reply.index, reply.status) == (student_turn, 2, "pending")
    assert list(AuditEvent.objects.order_by("id").values_list("action", "actor__username",
                                                              "target_id")) == [
        ("session.take_over", "teacher", str(session.pk)),
        ("session.hand_back", "teacher", str(session.pk))]


async def receive_until(ws, needle: str) -> str:
    """Frames until one contains the needle (generous timeouts: the machine is loaded)."""
    seen = []
    while True:
        frame = await ws.receive_from(timeout=60)
        seen.append(frame)
        if needle in frame:
            return frame


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_monitor_socket_takes_over_and_the_student_sees_the_teacher(session, classroom,
                                                                          alice):
    teacher = classroom.teacher
    monitor = await connect_path(teacher, f"/ws/classrooms/{classroom.pk}/monitor/")
    student = await connect_path(alice, f"/ws/sessions/{session.pk}/")

    await monitor.send_to(text_data=json.dumps({"type": "take_over", "session": session.pk}))
    banner = await receive_until(student, "takeover-banner")
    assert "teacher (teacher) is writing in this session" in banner
    card = await receive_until(monitor, f'id="card-{session.pk}"')
    assert "Send as teacher" in card

    await student.send_to(text_data=json.dumps({"type": "message", "text": "I am stuck"}))
    assert "I am stuck" in await receive_until(student, "I am stuck")
    assert "I am stuck" in await receive_until(monitor, f'id="card-{session.pk}"')

    await monitor.send_to(text_data=json.dumps({"type": "teacher_message",
                                                "session": session.pk, "text": "Try 3 x 6."}))
    frame = await receive_until(student, "Try 3 x 6.")
    assert "teacher (teacher)" in frame and 'class="turn teacher done"' in frame

    await monitor.send_to(text_data=json.dumps({"type": "hand_back", "session": session.pk}))
    assert "hidden" in await receive_until(student, "takeover-banner")
    authors = [a async for a in Turn.objects.filter(session=session).order_by("index")
               .values_list("author", flat=True)]
    assert authors == ["student", "teacher"]

    await monitor.send_to(text_data=json.dumps({"type": "take_over", "session": 999999}))
    assert "not an active session of this class" in await receive_until(monitor, "chat-error")
    await monitor.disconnect()
    await student.disconnect()
