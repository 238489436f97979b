"""Through the real turn path (services.run_turn): with an engine whose every draft is bad, the
student still gets coherent template replies, and each verdict is on the turn, in the trace and
on the trace page; answers typed during a takeover are checked and recorded."""

import pytest

from agents.llm import ScriptedEngine
from apps.learners.models import LearnerReward
from apps.traces.models import Run, Span
from apps.tutoring import services, takeover
from apps.tutoring.models import TutoringSession
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

BAD_DRAFTS = [
    "The student's answer is indeed correct. Well done!",  # contradiction + third person
    "Great job! So 3 x 6 = 18 apples.",  # contradiction + leak
    "To verify each step the learner states and nudge where it slips, 150% of 80 = 96.",
    "Line one. Line two. Line three. Line four. Line five?",  # off the move
]


@pytest.fixture
def session(alice, problem):
    return TutoringSession.objects.create(student=alice, problem=problem,
                                          classroom=alice.classrooms.get())


def take_turn(session, text, monkeypatch, engine):
    monkeypatch.setattr(services, "get_llm", lambda: engine)
    _student, tutor = services.post_student_message(session, text)
    services.run_turn(tutor.pk)
    tutor.refresh_from_db()
    return tutor


def test_an_engine_that_only_writes_bad_drafts_still_tutors_coherently(session, monkeypatch,
                                                                       client):
    engine = ScriptedEngine(lambda messages: BAD_DRAFTS[len(engine.calls) % len(BAD_DRAFTS)])
    replies = []
    for message in ["I added: 3 + 6 = 9", "I think 9", "Oh wait, 3 + 6 is 9 not 8? then times 2",
                    "3 x 6 = 18"]:
        tutor = take_turn(session, message, monkeypatch, engine)
        replies.append(tutor)
        assert tutor.status == "done" and tutor.verdict["outcome"] == "template"
        assert tutor.verdict["drafts"] == 2 and len(tutor.guard) == 2
        assert [g["original"] for g in tutor.guard] == [c.completion for c in engine.calls[-2:]]
        assert "the student" not in tutor.text.lower()
    wrong, again, question, right = replies
    assert wrong.text.startswith("You wrote 3 + 6 = 9") or "3 + 6" in wrong.text
    assert all(r.text.rstrip().endswith("?") and r.text.count("?") == 1 for r in replies[:3])
    assert all("18" not in r.text for r in replies[:3])  # nothing leaked before the answer
    assert again.move == "probing" and question.reply_to.student_answer == ""  # no answer stated
    assert right.move == "generic" and right.reply_to.is_correct is True
    assert any(w in right.text for w in ("right", "correct", "solved"))
    assert "contradiction" in wrong.verdict["reasons"] and "leak" in wrong.verdict["reasons"]

    run = Run.objects.get(name="tutor_turn", subject_id=wrong.pk)
    span = Span.objects.get(run=run, name="guard")
    assert span.attributes["verdict"] == wrong.verdict
    admin = make_user("root", "admin")
    client.force_login(admin)
    page = client.get(f"/traces/{run.pk}/").content.decode()
    assert "Reply verifier:" in page and "template" in page and "contradiction" in page
    assert "The student&#x27;s answer is indeed correct" in page  # the rejected draft, verbatim


def test_a_good_draft_is_accepted_and_says_so(session, monkeypatch):
    tutor = take_turn(session, "3 + 6 = 9", monkeypatch,
                      ScriptedEngine(["What does each bag hold?"]))
    assert tutor.text == "What does each bag hold?"
    assert tutor.verdict == {"outcome": "accepted", "reasons": [], "drafts": 1}


def test_answers_typed_during_a_takeover_are_checked_and_recorded(session, alice, classroom):
    takeover.take_over(session, classroom.teacher)
    wrong, none = services.post_student_message(session, "I think it is 9")
    right, _ = services.post_student_message(session, "oh, 3 x 6 = 18")
    wrong.refresh_from_db()
    right.refresh_from_db()
    assert none is None and not session.turns.filter(author="tutor").exists()
    assert (wrong.student_answer, wrong.is_correct) == ("9", False)
    assert (right.student_answer, right.is_correct) == ("18", True)
    scores = list(LearnerReward.objects.filter(learner=alice, skill="general")
                  .values_list("score", flat=True))
    assert scores == [0.0, 1.0]
    assert Run.objects.filter(name="takeover_answer_check", subject_id=right.pk).exists()
