"""What a finished tutor turn feeds elsewhere: the learner's ATLAS lane, and candidate pairs
(annotation queues them on tutoring's `tutor_turn_done`; the task runs here, eagerly)."""

import pytest

from apps.accounts.models import Classroom, Enrolment
from apps.annotation import candidates
from apps.annotation.models import CandidatePair
from apps.learners.models import LearnerReward
from apps.learners.selectors import lane_for
from apps.traces.models import Run
from apps.tutoring.models import TutoringSession
from tests.exports.factories import take_turns

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(alice, problem):
    return TutoringSession.objects.create(student=alice, problem=problem,
                                          classroom=alice.classrooms.get())


@pytest.fixture
def take_turn():
    def take(session, text, replies):
        """One student message answered as the worker does (`take_turns`: the candidate task,
        queued on commit, runs there eagerly with the same engine)."""
        engine = take_turns(session, [(text, None)], replies=replies)
        return session.turns.filter(author="tutor").order_by("index").last(), engine
    return take


def test_each_checked_answer_is_a_reward_on_the_learners_lane(session, alice, take_turn):
    assert lane_for(alice, "general")[0] == "paired"  # no history yet
    take_turn(session, "I added: 9", ["Why did you add?"])
    take_turn(session, "Oh, 3 x 6 = 18", ["Well done. Why does it work?"])
    rewards = list(LearnerReward.objects.filter(learner=alice, skill="general")
                   .values_list("score", "lane"))
    # No history → paired; one wrong answer (mean 0 < 0.65) moves the learner to coach.
    assert rewards == [(0.0, "paired"), (1.0, "coach")]


def test_the_tutor_prompt_carries_the_lanes_scaffolding(session, take_turn):
    _, engine = take_turn(session, "I added: 9", ["Why did you add?"])
    assert "Check and nudge" in engine.calls[0].messages[0]["content"]


def test_a_sampled_turn_keeps_a_second_guarded_candidate(session, take_turn, settings):
    settings.CANDIDATE_PAIR_SHARE = 1.0
    session.classroom.collect_candidate_pairs = True
    session.classroom.save()
    tutor, _ = take_turn(session, "I added: 9",
                         ["Why did you add?", "What is in each bag?"])
    pair = CandidatePair.objects.get()
    assert (pair.turn_id, pair.reply_a, pair.reply_b, pair.shown) == (
        tutor.reply_to_id, "Why did you add?", "What is in each bag?", "A")
    assert Run.objects.filter(name="candidate_reply", subject_id=tutor.pk).exists()
    # a redelivered task keeps the pair it made and makes no second one
    assert candidates.make_candidate_pair(tutor.pk, {}) == pair and CandidatePair.objects.count() == 1


def test_no_candidate_pairs_unless_the_class_collects_them(session, take_turn):
    assert not session.classroom.collect_candidate_pairs  # off unless a teacher switches it on
    take_turn(session, "I added: 9", ["Why did you add?"])
    assert not CandidatePair.objects.exists()


def test_no_candidate_pairs_for_a_learner_who_withdrew_consent_in_any_class(session, alice,
                                                                           take_turn):
    session.classroom.collect_candidate_pairs = True
    session.classroom.save()
    other = Classroom.objects.create(school=session.classroom.school, name="7B",
                                     teacher=session.classroom.teacher)
    Enrolment.objects.create(classroom=other, student=alice, data_sharing_consent=False)
    _, engine = take_turn(session, "I added: 9", ["Why did you add?", "Why?"])
    assert not CandidatePair.objects.exists() and len(engine.calls) == 1  # no second reply made
