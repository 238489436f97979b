"""Point 1: exports say what the engine saw. Live turns through the tutoring services and
`tutor_eval` runs make the data; every exported prompt is compared with the engine's own input."""

from __future__ import annotations

import pytest

from agents.eval.tutor_eval import BASELINE_PROMPT
from apps.traces.models import LLMCall
from apps.tutoring.models import Turn, TutoringSession
from tests.exports.factories import as_pairs, evaluation_sessions, export, take_turns

pytestmark = pytest.mark.django_db

EXCHANGES = [("I added: 3 + 6 = 9", "Why did you add the bags?"),
             ("Oh, is it 3 x 6 = 17?", "What is 3 times 6?"),
             ("3 x 6 = 18", "Well done. Why does multiplying work here?")]


def test_every_exported_system_message_is_byte_identical_to_the_one_the_engine_received(
        admin, alice, problem):
    session = TutoringSession.objects.create(student=alice, problem=problem)
    engine = take_turns(session, EXCHANGES)
    received = {call.completion: call.messages for call in engine.calls}  # reply -> its input

    done, rows = export(admin, "sft")
    rows = rows["train"]
    tutor_turns = list(session.turns.filter(author="tutor").order_by("index"))
    assert len(rows) == len(tutor_turns) == 3  # each turn rendered its own system prompt
    systems = set()
    for row, turn in zip(rows, tutor_turns, strict=True):
        *context, reply = as_pairs(row["messages"])
        assert reply == ("assistant", turn.text)
        assert context == as_pairs(received[turn.text])  # the whole context, byte for byte
        assert context[0][0] == "system" and context[0][1].encode() == received[turn.text][0][
            "content"].encode()
        systems.add(context[0][1])
    assert len(systems) == 3
    stored = set(LLMCall.objects.filter(span__name="respond").values_list("messages__0__content", flat=True))
    assert systems <= stored


def test_openai_chat_and_kto_prompts_are_the_turns_own_context(admin, alice, problem):
    from apps.annotation import services as annotation

    session = TutoringSession.objects.create(student=alice, problem=problem)
    engine = take_turns(session, EXCHANGES[:2])
    second = session.turns.filter(author="tutor").order_by("index").last()
    annotation.record_feedback(second, alice, "up")
    _, chat = export(admin, "openai_chat")
    assert [as_pairs(r["messages"])[:-1] for r in chat["train"]] == [
        as_pairs(call.messages) for call in engine.calls]
    _, kto = export(admin, "kto")
    (row,) = kto["train"]
    assert as_pairs(row["prompt"]) == as_pairs(engine.calls[1].messages)


def test_baseline_tutor_evaluations_are_exported_with_their_own_prompt(admin, tmp_path):
    (session,) = evaluation_sessions(tmp_path, tutor="baseline", k_max=2)
    done, rows = export(admin, "sft", sources=("evaluation",))
    engine_turns = list(session.turns.filter(author=Turn.Author.TUTOR).exclude(index=0).order_by("index"))
    calls = list(LLMCall.objects.filter(span__name="baseline_turn").order_by("id"))
    assert len(calls) == len(engine_turns) == 2
    prompt = BASELINE_PROMPT.format(problem=session.problem.statement)
    assert all(call.messages[0] == {"role": "system", "content": prompt} for call in calls)
    # One system prompt for the whole dialogue: the first turn's conversation is the start of
    # the second's context, so one record holds both replies, each after what the engine saw.
    (row,) = rows["train"]
    assert as_pairs(row["messages"]) == [*as_pairs(calls[-1].messages), ("assistant", engine_turns[-1].text)]
    assert as_pairs(row["messages"])[:len(calls[0].messages) + 1] == [
        *as_pairs(calls[0].messages), ("assistant", engine_turns[0].text)]
    assert done.manifest["by_source"]["evaluation"]["dropped"] == {
        "tutor turn without a stored engine call (teacher turn, greeting or untraced)": 1}


def test_tutorgraph_evaluations_use_each_turns_rendered_prompt(admin, tmp_path):
    (session,) = evaluation_sessions(tmp_path, tutor="tutorgraph", k_max=2)
    _, rows = export(admin, "sft", sources=("evaluation",))
    replies = list(LLMCall.objects.filter(run__source="evaluation", span__name__in=("respond", "guard"))
                   .order_by("id"))
    stored = [as_pairs(c.messages) for c in replies]
    assert rows["train"] and all(as_pairs(r["messages"])[:-1] in stored for r in rows["train"])
