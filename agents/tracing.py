"""Spans and LLM calls of one graph run, collected in memory and persisted by the caller."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from agents.llm.types import LLM, ChatMessage, LLMCall, Sampling, TokenSink, Usage


@dataclass
class SpanRecord:
    name: str
    parent: int | None
    started_at: float
    ended_at: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    calls: list[LLMCall] = field(default_factory=list)


class Tracer:
    """Collects a tree of spans; LLM calls attach to the innermost open span."""

    def __init__(self) -> None:
        self.spans: list[SpanRecord] = []
        self._stack: list[int] = []

    @contextmanager
    def span(self, name: str, **attributes: Any) -> Iterator[SpanRecord]:
        """Open a child span of the current one for the duration of the block."""
        parent = self._stack[-1] if self._stack else None
        record = SpanRecord(name=name, parent=parent, started_at=time.time(),
                            attributes=dict(attributes))
        self.spans.append(record)
        self._stack.append(len(self.spans) - 1)
        try:
            yield record
        except BaseException as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            record.ended_at = time.time()
            self._stack.pop()

    def record_call(self, call: LLMCall) -> None:
        """Attach an LLM call to the current span (or a root span for stray calls)."""
        if not self._stack:
            with self.span("llm"):
                self.spans[self._stack[-1]].calls.append(call)
            return
        self.spans[self._stack[-1]].calls.append(call)

    @property
    def calls(self) -> list[LLMCall]:
        return [c for s in self.spans for c in s.calls]


class TracedLLM:
    """Wraps an engine so that every call lands in the tracer, failures included."""

    def __init__(self, llm: LLM, tracer: Tracer) -> None:
        self.llm, self.tracer = llm, tracer
        self.engine, self.model = llm.engine, llm.model

    def chat(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256,
             temperature: float = 0.7, stop: Sequence[str] | None = None,
             on_token: TokenSink | None = None, json_schema: dict | None = None,
             sampling: Sampling | None = None) -> LLMCall:
        """Chat through the wrapped engine and record the call."""
        return self._record("chat", dict(messages=messages), lambda: self.llm.chat(
            messages, max_tokens=max_tokens, temperature=temperature, stop=stop,
            on_token=on_token, json_schema=json_schema, sampling=sampling))

    def complete(self, prompt: str, *, max_tokens: int = 256, temperature: float = 0.7,
                 stop: Sequence[str] | None = None, on_token: TokenSink | None = None,
                 sampling: Sampling | None = None) -> LLMCall:
        """Complete through the wrapped engine and record the call."""
        return self._record("completion", dict(prompt=prompt), lambda: self.llm.complete(
            prompt, max_tokens=max_tokens, temperature=temperature, stop=stop,
            on_token=on_token, sampling=sampling))

    def _record(self, kind, request: dict, send) -> LLMCall:
        started = time.perf_counter()
        try:
            call = send()
        except Exception as exc:
            self.tracer.record_call(LLMCall(
                engine=self.engine, model=self.model, kind=kind,
                messages=[dict(m) for m in request.get("messages") or []] or None,
                prompt=request.get("prompt"), completion="", usage=Usage(),
                latency_s=time.perf_counter() - started, finish_reason=None, error=str(exc)))
            raise
        self.tracer.record_call(call)
        return call
