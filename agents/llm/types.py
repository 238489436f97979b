"""Value types and the protocol every engine speaks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypedDict


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


TokenSink = Callable[[str], None]

# Sampling parameters beyond temperature that a caller may pin (engines' defaults differ:
# vLLM's top_k/min_p are not llama.cpp's). Unknown keys are refused, not passed on.
SAMPLING_KEYS = frozenset({"top_p", "top_k", "min_p", "seed", "presence_penalty",
                           "frequency_penalty", "repeat_penalty"})
Sampling = Mapping[str, float | int]


@dataclass(frozen=True)
class Usage:
    """Token counts; `estimated` when the engine reported none (llama.cpp while streaming)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class LLMCall:
    """One request to an engine, kept verbatim for the trace."""

    engine: str
    model: str
    kind: Literal["chat", "completion"]
    messages: list[ChatMessage] | None
    prompt: str | None
    completion: str
    usage: Usage
    latency_s: float
    finish_reason: str | None
    params: dict = field(default_factory=dict)
    error: str = ""


class LLMError(RuntimeError):
    """The engine failed (timeout, connection, malformed answer) after retries."""


class LLM(Protocol):
    engine: str
    model: str

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        on_token: TokenSink | None = None,
        json_schema: dict | None = None,
        sampling: Sampling | None = None,
    ) -> LLMCall: ...

    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        on_token: TokenSink | None = None,
        sampling: Sampling | None = None,
    ) -> LLMCall: ...


def check_sampling(sampling: Sampling | None) -> dict:
    """The sampling parameters as a dict, refusing names no engine here understands."""
    unknown = set(sampling or {}) - SAMPLING_KEYS
    if unknown:
        raise ValueError(f"unknown sampling parameter(s) {sorted(unknown)}; "
                         f"allowed: {', '.join(sorted(SAMPLING_KEYS))}")
    return dict(sampling or {})
