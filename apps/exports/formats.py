"""Training-set formats: what record each reads and the row it writes, with its Arrow schema.

Rows follow TRL's dataset formats (conversational where the trainer accepts it) and OpenAI's
fine-tuning files, so `datasets.load_dataset("json" | "parquet", data_files=...)` hands them
to TRL's trainers unchanged.

What the engine saw: every prompt is the messages stored with the LLM call that wrote the
reply (system prompt as rendered for that turn, then the dialogue before it), never a prompt
rebuilt from today's template. A dialogue whose turns had different system prompts is exported
as one record per tutor turn, each ending in that turn's reply after its own context; a turn
whose whole conversation a later turn's context starts with is left out (the later record
holds it). Teacher turns and an evaluation's greeting were written by no engine: they are
context, never targets. Baseline-tutor evaluations keep their own prompt.

Pairs and labels: a DPO / preference pair whose chosen and rejected replies are equal after
whitespace normalisation teaches nothing and is dropped. KTO rows are one per tutor turn and
rater role (the role's majority, `votes` saying how many votes it stands for; an even split is
dropped). ATLAS pairs are prompted with the chosen attempt's own context (student system prompt,
problem, earlier attempt, teacher feedback).

OpenAI files are JSONL only. OpenAI's preference fine-tuning trains on single-turn inputs, so
`openai_preference` keeps pairs whose input is system message(s) and one user message and drops
the rest (counted); `dpo` keeps them all.

PRM: one record per solution path (an ATLAS student attempt, or one LeaP path), the problem as
`prompt`, that path's steps as `completions` and one bool per step as `labels`; teacher
feedback, memory JSON, rewards and planning prompts are never steps. `PRMTrainer` lives in
`trl.experimental.prm` only in TRL releases before 1.14 (`pip install "trl<1.14"`); with later
TRL train a token-classification or stepwise reward model on these same three fields.
PRM step labels: TRL wants one bool per step. +1 (good) → True; −1 (wrong) → False;
0 (neutral) → False, because a neutral step did not move the solution forward and a
process reward model should only reward steps a reviewer called good. Steps are never
dropped, so the completions still read as the whole solution.

Every dropped record is counted in the manifest under `counts.dropped` with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from apps.exports.privacy import Privacy
from apps.exports.records import BinaryFeedback, Conversation, Message, PreferencePair, Record, StepSequence

SCHEMA_VERSION = "2"
PRM_LABEL_RULE = "+1 → True, −1 → False, 0 (neutral) → False; no step is dropped"
PRM_TRAINER = ("TRL PRMTrainer (trl.experimental.prm) exists only before TRL 1.14: pip install "
               "'trl<1.14'. Fields: prompt (the problem), completions (one path's steps), labels "
               "(one bool per step).")

MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
PROVENANCE = [("conversation", pa.string()), ("learner", pa.string()), ("source", pa.string())]

Row = dict[str, object]


@dataclass(frozen=True)
class Dropped:
    """A record that makes no row in this format, and why."""

    reason: str


IDENTICAL = "chosen and rejected are the same after whitespace normalisation"
MULTI_TURN = "openai_preference: input is not single-turn (OpenAI trains on one user turn)"
NO_TARGET = "no assistant message to train on"
NO_STEPS = "prm: no steps"


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    reads: type[Record]
    schema: pa.Schema
    build: Callable[[Record, Privacy], Row | Dropped]
    file_types: tuple[str, ...] = ("jsonl", "parquet")


def messages(items: tuple[Message, ...], privacy: Privacy) -> list[dict[str, str]]:
    return [{"role": m.role, "content": privacy.scrub(m.content)} for m in items]


def assistant(text: str, privacy: Privacy) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": privacy.scrub(text)}]


def provenance(record: Record, privacy: Privacy) -> Row:
    meta = record.meta
    return {"conversation": privacy.pseudonym("conversation", meta.conversation_id),
            "learner": privacy.pseudonym("learner", meta.learner_id), "source": meta.source}


def trainable_messages(conversation: Conversation) -> tuple[Message, ...]:
    """The dialogue up to its last assistant message (nothing to learn after it)."""
    items = conversation.messages
    for end in range(len(items), 0, -1):
        if items[end - 1].role == "assistant":
            return items[:end]
    return ()


def same_reply(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def single_turn(prompt: tuple[Message, ...]) -> bool:
    """System message(s), then exactly one user message."""
    roles = [m.role for m in prompt if m.role != "system"]
    return roles == ["user"] and prompt[-1].role == "user"


def build_sft(record: Conversation, privacy: Privacy) -> Row | Dropped:
    kept = trainable_messages(record)
    if not kept:
        return Dropped(NO_TARGET)
    return {"messages": messages(kept, privacy), **provenance(record, privacy)}


def build_openai_chat(record: Conversation, privacy: Privacy) -> Row | Dropped:
    kept = trainable_messages(record)
    return {"messages": messages(kept, privacy)} if kept else Dropped(NO_TARGET)


def build_dpo(record: PreferencePair, privacy: Privacy) -> Row | Dropped:
    if same_reply(record.chosen, record.rejected):
        return Dropped(IDENTICAL)
    return {"prompt": messages(record.prompt, privacy), "chosen": assistant(record.chosen, privacy),
            "rejected": assistant(record.rejected, privacy), **provenance(record, privacy)}


def build_openai_preference(record: PreferencePair, privacy: Privacy) -> Row | Dropped:
    if same_reply(record.chosen, record.rejected):
        return Dropped(IDENTICAL)
    if not single_turn(record.prompt):
        return Dropped(MULTI_TURN)
    return {"input": {"messages": messages(record.prompt, privacy)},
            "preferred_output": assistant(record.chosen, privacy),
            "non_preferred_output": assistant(record.rejected, privacy)}


def build_kto(record: BinaryFeedback, privacy: Privacy) -> Row | Dropped:
    return {"prompt": messages(record.prompt, privacy),
            "completion": assistant(record.completion, privacy), "label": record.good,
            "rater_role": record.rater_role, "votes": record.votes, **provenance(record, privacy)}


def build_prm(record: StepSequence, privacy: Privacy) -> Row | Dropped:
    if not record.steps:
        return Dropped(NO_STEPS)
    return {"prompt": privacy.scrub(record.prompt),
            "completions": [privacy.scrub(step) for step in record.steps],
            "labels": [label == 1 for label in record.step_labels], **provenance(record, privacy)}


FORMATS: dict[str, Format] = {f.name: f for f in [
    Format("sft", "SFT: messages (TRL SFTTrainer, conversational)", Conversation,
           pa.schema([("messages", MESSAGES), *PROVENANCE]), build_sft),
    Format("dpo", "DPO: prompt / chosen / rejected (TRL DPOTrainer, conversational)", PreferencePair,
           pa.schema([("prompt", MESSAGES), ("chosen", MESSAGES), ("rejected", MESSAGES), *PROVENANCE]),
           build_dpo),
    Format("kto", "KTO: prompt / completion / label, per turn and rater role (TRL KTOTrainer)",
           BinaryFeedback, pa.schema([("prompt", MESSAGES), ("completion", MESSAGES), ("label", pa.bool_()),
                                      ("rater_role", pa.string()), ("votes", pa.int32()), *PROVENANCE]),
           build_kto),
    Format("prm", "PRM: prompt / completions / labels, one path each (TRL PRMTrainer, trl<1.14)",
           StepSequence,
           pa.schema([("prompt", pa.string()), ("completions", pa.list_(pa.string())),
                      ("labels", pa.list_(pa.bool_())), *PROVENANCE]), build_prm),
    Format("openai_chat", "OpenAI fine-tuning, chat (messages)", Conversation,
           pa.schema([("messages", MESSAGES)]), build_openai_chat, file_types=("jsonl",)),
    Format("openai_preference", "OpenAI fine-tuning, preference (DPO)", PreferencePair,
           pa.schema([("input", pa.struct([("messages", MESSAGES)])), ("preferred_output", MESSAGES),
                      ("non_preferred_output", MESSAGES)]), build_openai_preference,
           file_types=("jsonl",)),
]}
