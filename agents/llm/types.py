"""Value types and the protocol every engine speaks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypedDict


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


TokenSink = Callable[[str], None]


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
    ) -> LLMCall: ...

    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        on_token: TokenSink | None = None,
    ) -> LLMCall: ...
