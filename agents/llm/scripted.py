"""A deterministic engine for tests: the only test double, at the LLM boundary."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence

from agents.llm.types import ChatMessage, LLMCall, LLMError, Sampling, TokenSink, Usage, check_sampling

Script = Callable[[list[ChatMessage] | str], str]


class ScriptedEngine:
    """Replies from a list (in turn, the last one repeating) or from a function of the input.

    A reply equal to `ScriptedEngine.FAIL` raises `LLMError`, so tests can script outages.
    `token_delay_s` spaces the streamed tokens to imitate a real engine.
    """

    FAIL = "<<engine-failure>>"

    def __init__(self, replies: Iterable[str] | Script = ("OK",), *, model: str = "scripted",
                 token_delay_s: float = 0.0) -> None:
        self.engine = "scripted"
        self.model = model
        self.token_delay_s = token_delay_s
        self._script = replies if callable(replies) else None
        self._replies = [] if callable(replies) else list(replies)
        self.calls: list[LLMCall] = []

    def chat(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256,
             temperature: float = 0.7, stop: Sequence[str] | None = None,
             on_token: TokenSink | None = None, json_schema: dict | None = None,
             sampling: Sampling | None = None) -> LLMCall:
        """Answer a chat request from the script (a schema is recorded, not enforced)."""
        msgs = [dict(m) for m in messages]
        text = self._emit(self._next(msgs), max_tokens, stop, on_token)
        call = LLMCall(engine=self.engine, model=self.model, kind="chat", messages=msgs,
                       prompt=None, completion=text,
                       usage=Usage(count_tokens(" ".join(m["content"] for m in msgs)),
                                   count_tokens(text)),
                       latency_s=0.0, finish_reason="stop",
                       params={"max_tokens": max_tokens, "temperature": temperature,
                               **check_sampling(sampling),
                               **({"json_schema": json_schema} if json_schema else {})})
        self.calls.append(call)
        return call

    def complete(self, prompt: str, *, max_tokens: int = 256, temperature: float = 0.7,
                 stop: Sequence[str] | None = None, on_token: TokenSink | None = None,
                 sampling: Sampling | None = None) -> LLMCall:
        """Continue a prompt from the script."""
        raw = self._next(prompt)
        text = self._emit(raw, max_tokens, stop, on_token)
        finish = "length" if count_tokens(raw) > max_tokens and text != raw else "stop"
        call = LLMCall(engine=self.engine, model=self.model, kind="completion", messages=None,
                       prompt=prompt, completion=text,
                       usage=Usage(count_tokens(prompt), count_tokens(text)), latency_s=0.0,
                       finish_reason=finish,
                       params={"max_tokens": max_tokens, "temperature": temperature,
                               **check_sampling(sampling)})
        self.calls.append(call)
        return call

    def _next(self, request: list[ChatMessage] | str) -> str:
        if self._script is not None:
            reply = self._script(request)
        elif len(self._replies) > 1:
            reply = self._replies.pop(0)
        else:
            reply = self._replies[0] if self._replies else ""
        if reply == self.FAIL:
            raise LLMError("scripted engine failure")
        return reply

    def _emit(self, reply: str, max_tokens: int, stop: Sequence[str] | None,
              on_token: TokenSink | None) -> str:
        for s in stop or []:
            if s and s in reply:
                reply = reply[: reply.index(s)]
        tokens = split_tokens(reply)[:max_tokens]
        for token in tokens:
            if self.token_delay_s:
                time.sleep(self.token_delay_s)
            if on_token:
                on_token(token)
        return "".join(tokens)


def split_tokens(text: str) -> list[str]:
    """Split text into word-like tokens that join back to the same text."""
    return re.findall(r"\s*\S+|\s+", text)


def count_tokens(text: str) -> int:
    return len(split_tokens(text))
