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


@pytest.fixture
def unreachable_broker():
    from config.celery import app

    saved_url, saved_pool = app.conf.broker_url, app._pool
    saved_producers = app.amqp._producer_pool
    app.conf.broker_url, app._pool, app.amqp._producer_pool = "redis://127.0.0.1:9/0", None, None
    yield
    # the producer pool made meanwhile points at port 9: drop it, or later tests inherit it
    app.conf.broker_url, app._pool, app.amqp._producer_pool = saved_url, saved_pool, saved_producers


def test_unreachable_broker_fails_the_turn_so_the_student_can_send_again(
        session, unreachable_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        student_turn, tutor_turn = services.post_student_message(session, "is it 18?")
    tutor_turn.refresh_from_db()
    assert (tutor_turn.status, tutor_turn.error) == ("failed", services.RETRY_MESSAGE)
    assert Turn.objects.get(pk=student_turn.pk).text == "is it 18?"


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
