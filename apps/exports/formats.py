"""Training-set formats: what record each reads and the row it writes, with its Arrow schema.

Rows follow TRL's dataset formats (conversational where the trainer accepts it) and OpenAI's
fine-tuning files, so `datasets.load_dataset("json" | "parquet", data_files=...)` hands them
to `SFTTrainer`, `DPOTrainer`, `KTOTrainer` or `PRMTrainer` unchanged.

PRM step labels: TRL wants one bool per step. +1 (good) → True; −1 (wrong) → False;
0 (neutral) → False, because a neutral step did not move the solution forward and a
process reward model should only reward steps a reviewer called good. Steps are never
dropped, so the completions still read as the whole solution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from apps.exports.privacy import Privacy
from apps.exports.records import BinaryFeedback, Conversation, Message, PreferencePair, Record, StepSequence

SCHEMA_VERSION = "1"
PRM_LABEL_RULE = "+1 → True, −1 → False, 0 (neutral) → False; no step is dropped"

MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
PROVENANCE = [("conversation", pa.string()), ("learner", pa.string()), ("source", pa.string())]

Row = dict[str, object]


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    reads: type[Record]
    schema: pa.Schema
    build: Callable[[Record, Privacy], Row | None]  # None: the record cannot make a row


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


def build_sft(record: Conversation, privacy: Privacy) -> Row | None:
    kept = trainable_messages(record)
    return {"messages": messages(kept, privacy), **provenance(record, privacy)} if kept else None


def build_openai_chat(record: Conversation, privacy: Privacy) -> Row | None:
    kept = trainable_messages(record)
    return {"messages": messages(kept, privacy)} if kept else None


def build_dpo(record: PreferencePair, privacy: Privacy) -> Row | None:
    return {"prompt": messages(record.prompt, privacy), "chosen": assistant(record.chosen, privacy),
            "rejected": assistant(record.rejected, privacy), **provenance(record, privacy)}


def build_openai_preference(record: PreferencePair, privacy: Privacy) -> Row | None:
    return {"input": {"messages": messages(record.prompt, privacy)},
            "preferred_output": assistant(record.chosen, privacy),
            "non_preferred_output": assistant(record.rejected, privacy)}


def build_kto(record: BinaryFeedback, privacy: Privacy) -> Row | None:
    return {"prompt": messages(record.prompt, privacy),
            "completion": assistant(record.completion, privacy), "label": record.good,
            **provenance(record, privacy)}


def build_prm(record: StepSequence, privacy: Privacy) -> Row | None:
    if not record.steps:
        return None
    return {"prompt": privacy.scrub(record.prompt),
            "completions": [privacy.scrub(step) for step in record.steps],
            "labels": [label == 1 for label in record.step_labels], **provenance(record, privacy)}


FORMATS: dict[str, Format] = {f.name: f for f in [
    Format("sft", "SFT: messages (TRL SFTTrainer, conversational)", Conversation,
           pa.schema([("messages", MESSAGES), *PROVENANCE]), build_sft),
    Format("dpo", "DPO: prompt / chosen / rejected (TRL DPOTrainer, conversational)", PreferencePair,
           pa.schema([("prompt", MESSAGES), ("chosen", MESSAGES), ("rejected", MESSAGES), *PROVENANCE]),
           build_dpo),
    Format("kto", "KTO: prompt / completion / label (TRL KTOTrainer, conversational)", BinaryFeedback,
           pa.schema([("prompt", MESSAGES), ("completion", MESSAGES), ("label", pa.bool_()),
                      *PROVENANCE]), build_kto),
    Format("prm", "PRM: prompt / completions / labels (TRL PRMTrainer, stepwise)", StepSequence,
           pa.schema([("prompt", pa.string()), ("completions", pa.list_(pa.string())),
                      ("labels", pa.list_(pa.bool_())), *PROVENANCE]), build_prm),
    Format("openai_chat", "OpenAI fine-tuning, chat (messages)", Conversation,
           pa.schema([("messages", MESSAGES)]), build_openai_chat),
    Format("openai_preference", "OpenAI fine-tuning, preference (DPO)", PreferencePair,
           pa.schema([("input", pa.struct([("messages", MESSAGES)])), ("preferred_output", MESSAGES),
                      ("non_preferred_output", MESSAGES)]), build_openai_preference),
]}
