"""The tutoring adapter on real rows: sessions become conversations with their metadata."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.exports.filters import ExportFilters
from apps.exports.records import Conversation
from apps.exports.sources import sources_for
from apps.exports.sources.tutoring import TutoringConversations
from apps.tutoring.models import Turn, TutoringSession
from tests.exports.factories import tutoring_session

pytestmark = pytest.mark.django_db
STUDENT_SESSIONS = TutoringConversations("student", "tutoring")


def test_a_session_becomes_a_conversation_with_the_tutor_prompt_and_verbatim_turns(alice, problem,
                                                                                     classroom):
    session = tutoring_session(alice, problem, classroom=classroom, turns=[
        ("student", "I got 17."), ("tutor", "How did you get 17?"), ("student", "Oh, 18."),
        ("teacher", "Yes, 3 bags of 6 is 18.")])
    Turn.objects.create(session=session, index=4, author="student", text="", status="done")
    Turn.objects.create(session=session, index=5, author="tutor", text="half a rep", status="failed")
    [record] = STUDENT_SESSIONS.records(ExportFilters())
    assert isinstance(record, Conversation)
    assert record.messages[0].role == "system" and problem.statement in record.messages[0].content
    assert [(m.role, m.content) for m in record.messages[1:]] == [
        ("user", "I got 17."), ("assistant", "How did you get 17?"), ("user", "Oh, 18."),
        ("assistant", "Yes, 3 bags of 6 is 18.")]
    meta = record.meta
    assert (meta.conversation_id, meta.source, meta.learner_id, meta.classroom_id) == (
        f"tutoring-{session.pk}", "tutoring", alice.pk, classroom.pk)
    assert (meta.engine, meta.model) == ("embedded", "smollm2")


def test_filters_narrow_the_query(alice, bob, problem, classroom):
    in_class = tutoring_session(alice, problem, classroom=classroom)
    tutoring_session(bob, problem, engine="vllm", model="qwen")
    old = tutoring_session(bob, problem)
    TutoringSession.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    evaluation = tutoring_session(None, problem, origin="evaluation")

    def ids(adapter, **kw):
        filters = ExportFilters(**kw)
        return {r.meta.conversation_id for r in adapter.records(filters)}, adapter.count(filters)

    assert ids(STUDENT_SESSIONS, classroom=classroom.pk) == ({f"tutoring-{in_class.pk}"}, 1)
    assert ids(STUDENT_SESSIONS, engine="vllm")[1] == 1
    assert ids(STUDENT_SESSIONS, date_from=timezone.now().date() - timedelta(days=1))[1] == 2
    assert ids(STUDENT_SESSIONS, date_to=timezone.now().date() - timedelta(days=29))[1] == 1
    assert ids(TutoringConversations("evaluation", "evaluation")) == (
        {f"tutoring-{evaluation.pk}"}, 1)


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
