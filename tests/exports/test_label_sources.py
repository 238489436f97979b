"""Labels, feedback and ATLAS retries on real rows, exported through the real pipeline and
loaded back with `datasets`: DPO, OpenAI preference, KTO and PRM records, opted-out students left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from apps.accounts.models import Classroom, Enrolment, User
from apps.annotation import services as annotation
from apps.annotation.models import AnnotationQueue, CandidatePair, QueueItem
from apps.annotation.schema_spec import DEFAULT_SCHEMAS
from apps.exports import services
from apps.exports.filters import ExportFilters
from apps.exports.formats import MULTI_TURN
from apps.exports.models import Export
from apps.exports.records import PreferencePair
from apps.exports.sources.atlas_retries import NO_TRACE
from apps.exports.sources.pairwise import TIE, CandidatePairPreferences
from apps.lab.models import AtlasSessionRecord
from apps.tutoring.models import Turn, TutoringSession
from tests.conftest import make_user
from tests.exports.conftest import load
from tests.exports.factories import atlas_experiment, take_turns, tutoring_session

pytestmark = pytest.mark.django_db
PAIRS = CandidatePairPreferences("student", "tutoring")


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path) -> Path:
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


@pytest.fixture
def admin(db) -> User:
    return make_user("root", "admin")


@pytest.fixture
def raters(db) -> list[User]:
    return [make_user("ann", "annotator"), make_user("ben", "annotator")]


def queue_of(kind: str, target: str, admin, raters, **filter) -> AnnotationQueue:
    schema = annotation.save_schema_version(kind, DEFAULT_SCHEMAS[kind])
    return annotation.create_queue(name=kind, schema=schema, target=target, filter=filter,
                                   annotators=raters, created_by=admin, lead=admin, n_per_item=2)


def label_all(queue: AnnotationQueue, raters, value_of) -> None:
    """Each rater labels every item of the queue through reservations, as in the app."""
    for rater in raters:
        for _ in range(queue.items.count()):
            assignment = annotation.reserve_next(queue, rater)
            annotation.submit_label(assignment.pk, rater, value_of(assignment.item, rater))


def export(admin, fmt: str, tmp_path, **filters) -> tuple[Export, list[dict]]:
    request = services.request_export(admin, format_name=fmt, file_type="parquet" if fmt == "prm"
                                      else "jsonl", filters=ExportFilters(validation_fraction=0,
                                                                          **filters), enqueue=False)
    done = services.run_export(request.pk)
    assert done.status == Export.Status.DONE, done.error
    if not done.manifest["files"]:
        return done, []
    return done, list(load(done.manifest, Path(done.directory), tmp_path / "hf")["train"])


def student_turn(session) -> Turn:
    return session.turns.filter(author="student").order_by("-index").first()


def dialogue(student, problem, classroom, said: str):
    return tutoring_session(student, problem, classroom=classroom, turns=[
        ("student", "I got 17."), ("tutor", "How did you get 17?"), ("student", said)])


def live_pair(student, problem, classroom, settings, said: str, shown: str, other: str,
              before=()) -> tuple:
    """A live session in `classroom` whose turn on `said` kept a second candidate."""
    session = TutoringSession.objects.create(student=student, problem=problem, classroom=classroom)
    settings.CANDIDATE_PAIR_SHARE = 0.0
    take_turns(session, before)
    settings.CANDIDATE_PAIR_SHARE = 1.0
    engine = take_turns(session, [(said, shown)], replies=[shown, other])
    return CandidatePair.objects.get(turn=student_turn(session)), engine


def test_pairwise_labels_become_dpo_pairs_by_majority_or_adjudication(admin, raters, alice, bob,
                                                                       problem, classroom, settings):
    other_room = Classroom.objects.create(school=classroom.school, name="7B", teacher=classroom.teacher,
                                          collect_candidate_pairs=True)
    Classroom.objects.filter(pk=classroom.pk).update(collect_candidate_pairs=True)
    classroom.refresh_from_db()
    queue = queue_of("pairwise-preference", "pair", admin, raters)
    _, engine = live_pair(alice, problem, classroom, settings, "I added 6 three times.",
                          "What is 6 + 6 + 6?", "Why not multiply them?",
                          before=[("I got 17.", "How did you get 17?")])
    disputed, _ = live_pair(alice, problem, other_room, settings, "Maybe 9?", "Is 9 right?",
                            "What do 3 groups of 6 make?")
    live_pair(alice, problem, other_room, settings, "Twenty?", "Tie one, what next?", "Tie two, what next?")
    live_pair(bob, problem, classroom, settings, "secret 99", "Bob chosen, why?", "Bob rejected, why?")

    def vote(item, rater):
        reply_a = item.payload["reply_a"]
        choice = {"Is 9 right?": "A" if rater.username == "ann" else "B",
                  "Tie one, what next?": "tie"}.get(reply_a, "A")
        return {"preference": choice, "comment": ""}

    label_all(queue, raters, vote)
    # bob withdraws after his pair was labelled (from then on annotation hands out none of his)
    Enrolment.objects.filter(student=bob).update(data_sharing_consent=False)
    item = QueueItem.objects.get(key=f"pair:{disputed.pk}")
    assert item.status == QueueItem.Status.DISPUTED
    annotation.adjudicate(item.pk, admin, {"preference": "B", "comment": "guides"})

    done, rows = export(admin, "dpo", settings.EXPORTS_ROOT.parent, sources=("tutoring",))
    assert done.counts["excluded_opted_out"] == 1 and done.counts["train"] == 2
    by_chosen = {row["chosen"][0]["content"]: row for row in rows}
    assert set(by_chosen) == {"What is 6 + 6 + 6?", "What do 3 groups of 6 make?"}
    row = by_chosen["What is 6 + 6 + 6?"]
    assert row["rejected"] == [{"role": "assistant", "content": "Why not multiply them?"}]
    assert [(m["role"], m["content"]) for m in row["prompt"]] == [
        (m["role"], m["content"]) for m in engine.calls[0].messages]  # what the engine saw
    assert [(m["role"], m["content"]) for m in row["prompt"][1:]] == [
        ("user", "I got 17."), ("assistant", "How did you get 17?"), ("user", "I added 6 three times.")]
    assert by_chosen["What do 3 groups of 6 make?"]["rejected"][0]["content"] == "Is 9 right?"
    text = Path(done.directory, "train.jsonl").read_text()
    assert "secret 99" not in text and "Bob chosen" not in text  # the opted-out learner's pair

    done, openai_rows = export(admin, "openai_preference", settings.EXPORTS_ROOT.parent / "o",
                               sources=("tutoring",))
    assert {r["preferred_output"][0]["content"] for r in openai_rows} == {"What do 3 groups of 6 make?"}
    assert openai_rows[0]["input"]["messages"][-1]["role"] == "user"
    assert done.counts["dropped"] == {MULTI_TURN: 1, TIE: 1}

    def chosen(**kw):
        filters = ExportFilters(**kw)
        return sorted(r.chosen for r in PAIRS.records(filters)
                      if isinstance(r, PreferencePair) and filters.admits(r.meta))

    assert chosen(adjudicated_only=True) == ["What do 3 groups of 6 make?"]
    assert chosen(min_agreement=1.0) == ["Bob chosen, why?", "What is 6 + 6 + 6?"]
    assert chosen(classroom=classroom.pk) == ["Bob chosen, why?", "What is 6 + 6 + 6?"]
    assert chosen(engine="scripted", model="scripted") == [
        "Bob chosen, why?", "What do 3 groups of 6 make?", "What is 6 + 6 + 6?"]
    assert chosen(schema="other") == []
    assert chosen(date_to=timezone.now().date().replace(year=2020)) == []
    assert PAIRS.count(ExportFilters()) == 4  # labelled items, ties and the opted-out included


def test_an_atlas_retry_that_fixed_a_failed_attempt_becomes_a_dpo_pair(admin, tmp_path):
    atlas_experiment(tmp_path)
    recovered = AtlasSessionRecord.objects.get(arm="atlas", recovered=True)
    done, rows = export(admin, "dpo", tmp_path, sources=("atlas",))
    assert [(r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in rows] == [
        (recovered.attempts[1]["text"], recovered.attempts[0]["text"])]
    assert rows[0]["source"] == "atlas"
    # a session whose trace is gone cannot say what the student saw: counted, not guessed
    AtlasSessionRecord.objects.filter(pk=recovered.pk).update(run=None)
    done, rows = export(admin, "dpo", tmp_path / "untraced", sources=("atlas",))
    assert rows == [] and done.counts["dropped"] == {NO_TRACE: 1}


def test_thumbs_on_tutor_turns_become_kto_feedback(admin, alice, bob, problem, classroom, tmp_path):
    teacher = User.objects.get(username="teacher")
    liked = tutoring_session(alice, problem, classroom=classroom, turns=[
        ("student", "I got 17."), ("tutor", "What do 3 bags of 6 make?"), ("student", "18")])
    tutor_turn = liked.turns.get(author="tutor")
    annotation.record_feedback(tutor_turn, alice, "up")
    annotation.record_feedback(tutor_turn, teacher, "down", "too leading")
    hidden = tutoring_session(bob, problem, classroom=classroom,
                              turns=[("student", "secret 99"), ("tutor", "Why 99 then?")])
    annotation.record_feedback(hidden.turns.get(author="tutor"), bob, "up")
    Enrolment.objects.filter(student=bob).update(data_sharing_consent=False)

    done, rows = export(admin, "kto", tmp_path)
    assert done.counts["excluded_opted_out"] == 1
    assert sorted(r["label"] for r in rows) == [False, True]
    for row in rows:
        assert row["completion"] == [{"role": "assistant", "content": "What do 3 bags of 6 make?"}]
        assert [(m["role"], m["content"]) for m in row["prompt"][1:]] == [("user", "I got 17.")]
    _, good_only = export(admin, "kto", tmp_path / "good", min_rating=1.0)
    assert [r["label"] for r in good_only] == [True]


def test_feedback_streams_in_chunks_with_a_bounded_number_of_queries(alice, problem, classroom,
                                                                     django_assert_max_num_queries):
    from apps.exports.sources.feedback import TurnFeedback

    for n in range(12):
        session = tutoring_session(alice, problem, classroom=classroom,
                                   turns=[("student", f"I got {n}."), ("tutor", f"Why {n}?")])
        annotation.record_feedback(session.turns.get(author="tutor"), alice, "up")
    with django_assert_max_num_queries(4):  # turns, labels, their runs and reply calls
        records = list(TurnFeedback("student", "tutoring").records(ExportFilters()))
    assert len(records) == 12 and {r.prompt[-1].content for r in records} == {
        f"I got {n}." for n in range(12)}
