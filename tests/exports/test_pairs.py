"""Point 5: pairs and labels worth training on, from live turns, labels given through the
annotation services, and a real ATLAS run."""

from __future__ import annotations

import pytest

from apps.annotation import services as annotation
from apps.annotation.schema_spec import DEFAULT_SCHEMAS
from apps.exports.formats import IDENTICAL, MULTI_TURN
from apps.exports.sources.feedback import SPLIT_VOTE
from apps.lab.models import AtlasSessionRecord
from apps.traces.models import LLMCall
from apps.tutoring.models import TutoringSession
from tests.conftest import make_user
from tests.exports.factories import as_pairs, atlas_experiment, export, take_turns

pytestmark = pytest.mark.django_db


@pytest.fixture
def paired_session(settings, classroom, alice, problem):
    """Two live turns, each with a second candidate: the first pair differs only in spacing."""
    settings.CANDIDATE_PAIR_SHARE = 1.0
    classroom.collect_candidate_pairs = True
    classroom.save()
    session = TutoringSession.objects.create(student=alice, problem=problem, classroom=classroom)
    engine = take_turns(session, [("I added: 9", ""), ("3 x 6?", "")], replies=[
        "What is in each bag?", "What is in  each bag? ", "Why multiply?", "How did you get that?"])
    return session, engine


def pairwise_labels(admin, choice="A"):
    raters = [make_user("rater1", "annotator"), make_user("rater2", "annotator")]
    schema = annotation.save_schema_version("pairwise-preference", DEFAULT_SCHEMAS["pairwise-preference"])
    queue = annotation.create_queue(name="pairs", schema=schema, target="pair", filter={},
                                    annotators=raters, created_by=admin, lead=admin, n_per_item=2)
    for rater in raters:
        for _ in range(queue.items.count()):
            held = annotation.reserve_next(queue, rater)
            annotation.submit_label(held.pk, rater, {"preference": choice, "comment": ""})
    return queue


def test_pairs_equal_after_whitespace_normalisation_are_dropped_and_counted(admin, paired_session):
    session, engine = paired_session
    queue = pairwise_labels(admin)
    assert queue.items.count() == 2
    done, rows = export(admin, "dpo")
    (row,) = rows["train"]
    assert (row["chosen"][0]["content"], row["rejected"][0]["content"]) == ("Why multiply?",
                                                                          "How did you get that?")
    shown = session.turns.filter(author="tutor").order_by("index").last()
    assert as_pairs(row["prompt"]) == as_pairs(next(c.messages for c in engine.calls
                                                    if c.completion == shown.text))
    assert done.manifest["counts"]["dropped"] == {IDENTICAL: 1}


def test_openai_preference_keeps_single_turn_inputs_only(admin, settings, classroom, alice, problem):
    settings.CANDIDATE_PAIR_SHARE = 1.0
    classroom.collect_candidate_pairs = True
    classroom.save()
    session = TutoringSession.objects.create(student=alice, problem=problem, classroom=classroom)
    take_turns(session, [("I added: 9", ""), ("3 x 6?", "")], replies=[
        "What is in each bag?", "Why did you add?", "Why multiply?", "How did you get that?"])
    pairwise_labels(admin)
    _, dpo = export(admin, "dpo")
    done, openai = export(admin, "openai_preference")
    assert len(dpo["train"]) == 2
    (row,) = openai["train"]
    assert [m["role"] for m in row["input"]["messages"]] == ["system", "user"]
    assert done.manifest["counts"]["dropped"] == {MULTI_TURN: 1}


def test_kto_gives_one_row_per_turn_and_rater_role_with_the_vote_count(admin, classroom, alice, bob, problem):
    teacher = classroom.teacher
    session = TutoringSession.objects.create(student=alice, problem=problem, classroom=classroom)
    take_turns(session, [("I added: 9", "Why did you add?"), ("3 x 6?", "Why multiply?")])
    first, second = session.turns.filter(author="tutor").order_by("index")
    for user, thumbs in ((alice, "up"), (bob, "up"), (teacher, "down")):
        annotation.record_feedback(first, user, thumbs)
    for user, thumbs in ((alice, "up"), (bob, "down")):
        annotation.record_feedback(second, user, thumbs)
    done, rows = export(admin, "kto")
    got = sorted((r["completion"][0]["content"], r["rater_role"], r["label"], r["votes"])
                 for r in rows["train"])
    assert got == [("Why did you add?", "student", True, 2), ("Why did you add?", "teacher", False, 1)]
    assert done.manifest["counts"]["dropped"] == {SPLIT_VOTE: 1}


def test_atlas_pairs_are_prompted_with_the_context_the_chosen_attempt_was_written_in(admin, tmp_path):
    atlas_experiment(tmp_path)
    record = AtlasSessionRecord.objects.get(arm="atlas", recovered=True)
    retry = LLMCall.objects.get(run=record.run, span__name="atlas.retry")
    _, rows = export(admin, "dpo", sources=("atlas",))
    (row,) = rows["train"]
    assert as_pairs(row["prompt"]) == as_pairs(retry.messages)
    system, problem, first, feedback = row["prompt"]
    assert system["role"] == "system" and system["content"].startswith("You are a student")
    assert record.attempts[0]["feedback"] in feedback["content"]
    assert row["chosen"][0]["content"] == record.attempts[1]["text"] == retry.completion
    assert row["rejected"][0]["content"] == record.attempts[0]["text"] == first["content"]
