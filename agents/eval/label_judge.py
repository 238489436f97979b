"""An LLM judge that answers an annotation schema's questions about one item, field by field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, Field, create_model

from agents.llm.structured import chat_json
from agents.llm.types import LLM
from agents.schema_fields import FieldSpec

SYSTEM = ("You are an experienced maths teacher who evaluates a tutor's reply to a student. "
          "Answer each question with the number of one option, as JSON.")
JUDGED_KINDS = ("rating", "categorical", "pairwise")


@dataclass
class Judgement:
    """The judge's value per field (None where its answer named no option), its raw answers and
    why an answer did not validate."""

    value: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def render_context(context: Any, last: int = 8) -> str:
    """The last lines of a dialogue as `Author: text`, whether given as a string or a list of turns."""
    if isinstance(context, str):
        lines = [line for line in context.strip().splitlines() if line.strip()]
    else:
        lines = [f"{t['author'].capitalize()}: {t['text']}" for t in context or []]
    return "\n".join(lines[-last:])


def judge_prompt(payload: dict, spec: FieldSpec) -> str:
    """The question about one field of the schema, with numbered options."""
    options = spec.options
    parts = [f"Problem: {payload['problem']}"] if payload.get("problem") else []
    parts.append(f"Conversation so far:\n{render_context(payload.get('context'))}")
    if spec.kind == "pairwise":
        parts.append(f"Reply A:\n{payload['reply_a']}\n\nReply B:\n{payload['reply_b']}")
    else:
        parts.append(f"Tutor reply to evaluate:\n{payload['reply']}")
    parts.append(f"Question: {spec.question or spec.label}")
    parts.append("Options:\n" + "\n".join(f"{i}. {o}" for i, o in enumerate(options, 1)))
    parts.append('Answer with the option number as JSON, like {"choice": 1}.')
    return "\n\n".join(parts)


@cache
def choice_model(n_options: int) -> type[BaseModel]:
    """The judge's reply for a field with `n_options` options: `{"choice": 1..n}`."""
    return create_model(f"Choice{n_options}",
                        choice=(int, Field(ge=1, le=n_options, description="option number")))


def judge_item(llm: LLM, payload: dict, fields: Sequence[FieldSpec], *, max_tokens: int = 16) -> Judgement:
    """Ask the judge each rating/categorical/pairwise field of the schema (greedy decoding),
    its reply constrained to `{"choice": n}` by a JSON schema and validated."""
    judgement = Judgement()
    for spec in fields:
        if spec.kind not in JUDGED_KINDS:
            continue
        options = spec.options
        reply = chat_json(llm, [{"role": "system", "content": SYSTEM},
                                {"role": "user", "content": judge_prompt(payload, spec)}],
                          choice_model(len(options)), max_tokens=max_tokens, temperature=0.0)
        judgement.raw[spec.name] = reply.call.completion
        judgement.value[spec.name] = (options[reply.value.choice - 1] if reply.value
                                         else None)
        if reply.error:
            judgement.errors[spec.name] = reply.error
    return judgement
