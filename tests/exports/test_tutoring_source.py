"""The tutoring adapter on real rows: sessions become conversations with their metadata."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.exports.filters import ExportFilters
from apps.exports.records import Conversation, Skipped
from apps.exports.sources import sources_for
from apps.exports.sources.tutoring import TutoringConversations
from apps.tutoring.models import Turn, TutoringSession
from tests.exports.factories import evaluation_sessions, take_turns, tutoring_session

pytestmark = pytest.mark.django_db
STUDENT_SESSIONS = TutoringConversations("student", "tutoring")


def test_a_session_becomes_one_conversation_per_engine_turn_with_teacher_turns_as_context(
        alice, problem, classroom):
    from apps.tutoring import takeover

    teacher = classroom.teacher
    session = tutoring_session(alice, problem, classroom=classroom, turns=[
        ("student", "I got 17."), ("tutor", "How did you get 17?")])
    takeover.take_over(session, teacher)
    takeover.post_teacher_message(session, teacher, "Count the apples in one bag first.")
    takeover.hand_back(session, teacher)
    engine = take_turns(session, [("Oh, 6 in each, so 18.", "Why does multiplying work?")])
    Turn.objects.create(session=session, index=10, author="tutor", text="half a rep", status="failed")
    records = list(STUDENT_SESSIONS.records(ExportFilters()))
    (teacher_turn,) = [r for r in records if isinstance(r, Skipped)]  # no engine wrote it
    first, second = [r for r in records if isinstance(r, Conversation)]
    assert teacher_turn.reason.startswith("tutor turn without a stored engine call")
    assert [(m.role, m.content) for m in first.messages[1:]] == [
        ("user", "I got 17."), ("assistant", "How did you get 17?")]
    assert [(m.role, m.content) for m in second.messages] == [
        *((m["role"], m["content"]) for m in engine.calls[0].messages),
        ("assistant", "Why does multiplying work?")]
    assert ("assistant", "Count the apples in one bag first.") in [
        (m.role, m.content) for m in second.messages]
    meta = second.meta
    assert (meta.conversation_id, meta.source, meta.learner_id, meta.classroom_id) == (
        f"tutoring-{session.pk}", "tutoring", alice.pk, classroom.pk)
    assert (meta.engine, meta.model) == ("scripted", "scripted")


def test_filters_narrow_the_query(alice, bob, problem, classroom, tmp_path):
    in_class = tutoring_session(alice, problem, classroom=classroom)
    outside = TutoringSession.objects.create(student=bob, problem=problem)
    take_turns(outside, [("I got 17.", "Why 17?")])
    old = tutoring_session(bob, problem)
    TutoringSession.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    (evaluation,) = evaluation_sessions(tmp_path, tutor="baseline", k_max=1)

    def ids(adapter, **kw):
        filters = ExportFilters(**kw)
        return {r.meta.conversation_id for r in adapter.records(filters)}, adapter.count(filters)

    assert ids(STUDENT_SESSIONS, classroom=classroom.pk) == ({f"tutoring-{in_class.pk}"}, 1)
    assert ids(STUDENT_SESSIONS, engine="scripted")[1] == 3
    assert ids(STUDENT_SESSIONS, engine="vllm") == (set(), 0)
    assert ids(STUDENT_SESSIONS, date_from=timezone.now().date() - timedelta(days=1))[1] == 2
    assert ids(STUDENT_SESSIONS, date_to=timezone.now().date() - timedelta(days=29))[1] == 1
    assert ids(TutoringConversations("evaluation", "evaluation"), engine="scripted") == (
        {f"tutoring-{evaluation.pk}"}, 2)  # the greeting (skipped) and one engine turn


def test_registry_offers_tutoring_and_evaluation_for_conversations():
    assert [s for s, _ in sources_for(Conversation, ExportFilters())] == ["tutoring", "evaluation"]
    assert [s for s, _ in sources_for(Conversation, ExportFilters(sources=("evaluation",)))] == [
        "evaluation"]
    from apps.exports.records import PreferencePair, StepSequence

    assert [s for s, _ in sources_for(PreferencePair, ExportFilters())] == [
        "tutoring", "evaluation", "atlas"]
    assert [s for s, _ in sources_for(StepSequence, ExportFilters())] == ["atlas", "leap"]


def test_sessions_stream_in_chunks_with_a_bounded_number_of_queries(alice, problem,
                                                                     django_assert_max_num_queries):
    for _ in range(12):
        tutoring_session(alice, problem)
    with django_assert_max_num_queries(4):
        assert len(list(STUDENT_SESSIONS.records(ExportFilters()))) == 12
