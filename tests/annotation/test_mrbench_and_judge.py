"""MRBench import (gold labels as a rater), the LLM judge as an extra annotator, candidate pairs."""

import json
import random

import pytest
from django.core.management import CommandError, call_command

from agents.eval.label_judge import judge_item, judge_prompt
from agents.llm import ScriptedEngine
from agents.schema_fields import FieldSpec
from apps.annotation import candidates, judging, selectors, services
from apps.annotation.models import AnnotationQueue, AnnotationSchema, CandidatePair, Label
from apps.annotation.mrbench import import_mrbench
from apps.annotation.schema_spec import DEFAULT_SCHEMAS
from apps.traces.models import Run
from apps.tutoring.models import Turn, TutoringSession
from tests.annotation.conftest import make_queue
from tests.conftest import make_user

ANNOTATION = {"Mistake_Identification": "Yes", "Mistake_Location": "Yes",
              "Revealing_of_the_Answer": "No", "Providing_Guidance": "To some extent",
              "Actionability": "Yes", "Coherence": "Yes", "Tutor_Tone": "Encouraging",
              "humanlikeness": "No"}


@pytest.fixture
def mrbench_file(tmp_path, db):
    AnnotationSchema.objects.get_or_create(name="tutor-turn", version=1,
                                           defaults={"fields": DEFAULT_SCHEMAS["tutor-turn"]})
    dialogues = [{"conversation_id": "42", "conversation_history": "Tutor: What is 3 x 6?\nStudent: 24",
                  "Data": "MathDial", "anno_llm_responses": {
                      "GPT4": {"response": "Check 3 x 6 again.", "annotation": ANNOTATION},
                      "Expert": {"response": "Count 6, 12, 18.",
                                 "annotation": {**ANNOTATION, "Tutor_Tone": "Neutral"}}}}]
    path = tmp_path / "mrbench.json"
    path.write_text(json.dumps(dialogues))
    return path


def test_import_creates_items_with_gold_labels_and_is_idempotent(mrbench_file):
    queue = import_mrbench(mrbench_file)
    import_mrbench(mrbench_file)
    assert queue.items.count() == 2
    gold = Label.objects.get(item__key="mrbench:1:42:GPT4")
    assert gold.kind == "gold" and gold.rater == "gold:mrbench"
    assert gold.value["providing_guidance"] == "To some extent"
    assert gold.item.payload["annotation"] == ANNOTATION  # the source kept verbatim


def test_import_reports_what_is_missing_and_writes_nothing(tmp_path, db):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"conversation_id": "1", "conversation_history": "x",
                                "anno_llm_responses": {"GPT4": {"response": "r", "annotation": {}}}}]))
    with pytest.raises(CommandError, match="dialogue 1 .1., tutor GPT4: response or one of the 8"):
        call_command("import_mrbench", str(bad))
    assert not AnnotationQueue.objects.exists()


def test_judge_labels_each_item_once_and_is_measured_against_gold(mrbench_file, monkeypatch):
    queue = import_mrbench(mrbench_file)

    def answer(messages):  # the judge says option 3 ("Yes") to all; tone: 3 = Encouraging
        return '{"choice": 3}'

    engine = ScriptedEngine(answer, model="judge")
    monkeypatch.setattr(judging, "get_llm", lambda name=None: engine)
    assert judging.judge_queue(queue.pk) == 2
    assert judging.judge_queue(queue.pk) == 0  # idempotent
    label = Label.objects.get(kind="llm_judge", item__key="mrbench:1:42:GPT4")
    assert label.rater == "llm:scripted/judge"
    assert label.value["mistake_identification"] == "Yes"
    assert label.value["revealing_of_the_answer"] == "Yes (but the answer is incorrect)"
    assert json.loads(label.raw_output)["coherence"] == '{"choice": 3}'
    schema = engine.calls[0].params["json_schema"]  # the engine was asked for JSON under a schema
    assert schema["properties"]["choice"]["maximum"] == 3
    assert Run.objects.filter(name="llm_judge").count() == 2  # every judge call is traced
    report = selectors.agreement_report(queue)
    tone = next(d for d in report["dimensions"] if d["field"].name == "tutor_tone")
    judge = next(r for r in tone["raters"] if r["rater"] == "llm:scripted/judge")
    assert judge["gold"]["n"] == 2 and judge["gold"]["agreement"] == 0.5


def test_judge_prompt_numbers_the_options_and_replies_are_validated_not_guessed():
    spec = FieldSpec.from_dict(DEFAULT_SCHEMAS["tutor-turn"][0])
    prompt = judge_prompt({"context": "Student: 24", "reply": "Look again."}, spec)
    assert "1. No\n2. To some extent\n3. Yes" in prompt and "Look again." in prompt
    payload = {"context": "Student: 24", "reply": "Look again."}
    for reply, value in [('{"choice": 2}', "To some extent"), ("2", None),
                         ('{"choice": 9}', None), ("I'd say to some extent.", None)]:
        judged = judge_item(ScriptedEngine([reply]), payload, [spec])
        assert judged.value[spec.name] == value, reply
        assert (spec.name in judged.errors) == (value is None)


def test_candidate_pair_is_kept_and_joins_pairwise_queues(db, problem, alice):
    session = TutoringSession.objects.create(student=alice, problem=problem)
    student = Turn.objects.create(session=session, index=0, author="student", text="24?")
    annotator = make_user("ann", "annotator")
    pairwise = make_queue([annotator], name="pairs", n_per_item=1,
                          fields=DEFAULT_SCHEMAS["pairwise-preference"], payloads=[{"reply": "x"}])
    pairwise.target = AnnotationQueue.Target.PAIR
    pairwise.save()
    pair = candidates.record_candidate_pair(student, "How did you get 24?", "It is 18.", "A")
    assert CandidatePair.objects.get().shown == "A"
    item = pairwise.items.get(key=f"pair:{pair.pk}")
    assert item.payload["reply_b"] == "It is 18." and "shown" not in item.payload
    assert item.payload["context"][-1] == {"author": "student", "text": "24?"}


def test_candidate_pair_share_comes_from_settings(settings):
    rng = random.Random(7)
    settings.CANDIDATE_PAIR_SHARE = 0.0
    assert not any(candidates.should_record_candidate_pair(rng) for _ in range(200))
    settings.CANDIDATE_PAIR_SHARE = 0.25
    share = sum(candidates.should_record_candidate_pair(rng) for _ in range(4000)) / 4000
    assert 0.22 < share < 0.28


def test_schema_revision_adds_a_version_and_rejects_bad_fields(db):
    first = services.save_schema_version("s", [{"name": "a", "kind": "pairwise", "label": "A"}])
    second = services.save_schema_version("s", [{"name": "a", "kind": "steps", "label": "A"}])
    assert (first.version, second.version) == (1, 2)
    assert AnnotationSchema.objects.get(pk=first.pk).fields[0]["kind"] == "pairwise"
    with pytest.raises(Exception, match="options"):
        services.save_schema_version("s", [{"name": "a", "kind": "rating", "label": "A", "options": [1]}])
