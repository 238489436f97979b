"""An LLM judge that answers an annotation schema's questions about one item, field by field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agents.llm.types import LLM

SYSTEM = ("You are an experienced maths teacher who evaluates a tutor's reply to a student. "
          "Answer each question with the number of one option.")
JUDGED_KINDS = ("rating", "categorical", "pairwise")


@dataclass
class Judgement:
    """The judge's value per field (None where its answer named no option) and its raw answers."""

    value: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)


def render_context(context: Any, last: int = 8) -> str:
    """The last lines of a dialogue as `Author: text`, whether given as a string or a list of turns."""
    if isinstance(context, str):
        lines = [line for line in context.strip().splitlines() if line.strip()]
    else:
        lines = [f"{t['author'].capitalize()}: {t['text']}" for t in context or []]
    return "\n".join(lines[-last:])


def judge_prompt(payload: dict, spec: dict) -> str:
    """The question about one field of the schema, with numbered options."""
    options = _options(spec)
    parts = [f"Problem: {payload['problem']}"] if payload.get("problem") else []
    parts.append(f"Conversation so far:\n{render_context(payload.get('context'))}")
    if spec["kind"] == "pairwise":
        parts.append(f"Reply A:\n{payload['reply_a']}\n\nReply B:\n{payload['reply_b']}")
    else:
        parts.append(f"Tutor reply to evaluate:\n{payload['reply']}")
    parts.append(f"Question: {spec.get('question') or spec['label']}")
    parts.append("Options:\n" + "\n".join(f"{i}. {o}" for i, o in enumerate(options, 1)))
    parts.append("Answer with the option number only.")
    return "\n\n".join(parts)


def parse_choice(text: str, options: list) -> Any | None:
    """The option an answer names: its number, else the longest option text it contains."""
    match = re.search(r"\b(\d+)\b", text)
    if match and 1 <= int(match.group(1)) <= len(options):
        return options[int(match.group(1)) - 1]
    lowered = text.lower()
    for option in sorted(options, key=lambda o: -len(str(o))):
        if str(option).lower() in lowered:
            return option
    return None


def _options(spec: dict) -> list:
    return ["A", "B", "tie"] if spec["kind"] == "pairwise" else list(spec["options"])


def judge_item(llm: LLM, payload: dict, fields: list[dict], *, max_tokens: int = 8) -> Judgement:
    """Ask the judge each rating/categorical/pairwise field of the schema (greedy decoding)."""
    judgement = Judgement()
    for spec in fields:
        if spec["kind"] not in JUDGED_KINDS:
            continue
        call = llm.chat([{"role": "system", "content": SYSTEM},
                         {"role": "user", "content": judge_prompt(payload, spec)}],
                        max_tokens=max_tokens, temperature=0.0)
        judgement.raw[spec["name"]] = call.completion
        judgement.value[spec["name"]] = parse_choice(call.completion, _options(spec))
    return judgement
