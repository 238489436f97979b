"""Structured replies: ask the engine for JSON under a schema and validate it with a typed model.

llama.cpp's server and vLLM constrain decoding to the schema, so even a small engine returns
parseable JSON; the typed model still validates it, since a hosted API or a scripted reply may
not be constrained. A reply that does not validate is reported, never guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from agents.llm.types import LLM, ChatMessage, LLMCall, Sampling

_DECODER = json.JSONDecoder()


def parse_json_object(text: str) -> dict | None:
    """Return the first JSON object in `text`, or None when there is none."""
    start = text.find("{")
    while start != -1:
        try:
            value = _DECODER.raw_decode(text, start)[0]
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


@dataclass(frozen=True)
class StructuredReply[T: BaseModel]:
    """The validated value (None when the reply did not validate), the call, and why not."""

    value: T | None
    call: LLMCall
    error: str = ""


def chat_json[T: BaseModel](llm: LLM, messages: Sequence[ChatMessage], schema: type[T], *,
                            max_tokens: int = 256, temperature: float = 0.0,
                            sampling: Sampling | None = None) -> StructuredReply[T]:
    """Ask for one JSON object constrained to `schema`'s JSON schema and validate it."""
    call = llm.chat(messages, max_tokens=max_tokens, temperature=temperature,
                    json_schema=schema.model_json_schema(), sampling=sampling)
    raw = parse_json_object(call.completion)
    if raw is None:
        return StructuredReply(None, call, "no JSON object in the reply")
    try:
        return StructuredReply(schema.model_validate(raw), call)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "reply"
        return StructuredReply(None, call, f"{where}: {first['msg']}")
