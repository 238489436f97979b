"""Write paths of tutoring that protect the student from waiting forever."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.tutoring import services
from apps.tutoring.models import Turn, TutoringSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(alice, problem):
    return TutoringSession.objects.create(student=alice, problem=problem)


def test_broker_down_fails_the_turn_so_the_student_can_send_again(
        session, broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        student_turn, tutor_turn = services.post_student_message(session, "is it 18?")
    tutor_turn.refresh_from_db()
    assert (tutor_turn.status, tutor_turn.error) == ("failed", services.RETRY_MESSAGE)
    assert Turn.objects.get(pk=student_turn.pk).text == "is it 18?"


def test_a_stalled_turn_the_broker_refuses_shows_failed_last(
        session, broker_down, django_capture_on_commit_callbacks):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    student = Turn.objects.create(session=session, index=0, author="student", text="is it 18?")
    stalled = Turn.objects.create(session=session, index=1, author="tutor", status="streaming",
                                  reply_to=student, attempts=1,
                                  lease_expires_at=timezone.now() - timedelta(seconds=1))
    layer = get_channel_layer()
    page = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(session.group_name, page)
    with django_capture_on_commit_callbacks(execute=True):
        services.recover_stalled_turns(session.pk)
    frames = []
    while len(frames) < 2:
        frames.append(async_to_sync(layer.receive)(page)["html"])
    assert "trying again" in frames[0] and services.RETRY_MESSAGE in frames[-1]  # the page keeps the last
    assert Turn.objects.get(pk=stalled.pk).status == "failed"


def test_the_turn_task_is_queued_by_the_name_the_worker_registers_on_the_llm_queue():
    from config.celery import app

    app.loader.import_default_modules()  # what a worker imports at start (autodiscovery)
    assert app.tasks[services.TURN_TASK].name == services.TURN_TASK
    assert app.amqp.router.route({}, services.TURN_TASK, (1,), {})["queue"].name == "llm"


def test_a_stale_unanswered_turn_is_failed_when_the_student_writes_again(session, settings):
    settings.TUTOR_STALE_TURN_S = 60
    stale = Turn.objects.create(session=session, index=0, author="student", text="hello")
    pending = Turn.objects.create(session=session, index=1, author="tutor", status="pending",
                                  reply_to=stale)
    Turn.objects.filter(pk=pending.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    _, new_tutor_turn = services.post_student_message(session, "anyone there?")
    assert Turn.objects.get(pk=pending.pk).status == "failed"
    assert new_tutor_turn.index == 3


def test_a_fresh_unanswered_turn_makes_the_student_wait(session):
    services.post_student_message(session, "first")
    with pytest.raises(services.TutoringError, match="still answering"):
        services.post_student_message(session, "second")
