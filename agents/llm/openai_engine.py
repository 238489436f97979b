"""An engine that speaks the OpenAI API: vLLM, llama.cpp's server, hosted APIs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import openai

from agents.llm.types import ChatMessage, LLMCall, LLMError, Sampling, TokenSink, Usage, check_sampling

# Sampling names the OpenAI client takes as arguments; the rest go in the request body.
_CLIENT_SAMPLING = {"top_p", "seed", "presence_penalty", "frequency_penalty"}

RETRYABLE = (openai.APIConnectionError, openai.APITimeoutError, openai.RateLimitError,
             openai.InternalServerError)


class OpenAIEngine:
    """Chat and completions over any OpenAI-compatible server, streamed, with retries."""

    def __init__(
        self,
        *,
        engine: str,
        base_url: str,
        model: str,
        api_key: str = "not-needed",
        timeout_s: float = 60.0,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        extra_body: dict | None = None,
    ) -> None:
        self.engine = engine
        self.model = model
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.extra_body = extra_body or {}
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed",
                                     timeout=timeout_s, max_retries=0)

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
    ) -> LLMCall:
        """Send a chat request, streaming tokens to `on_token`; `json_schema` constrains decoding."""
        params = {"max_tokens": max_tokens, "temperature": temperature, "stop": list(stop or []),
                  **check_sampling(sampling)}
        if json_schema is not None:
            params["response_format"] = self._response_format(json_schema)
        args, body = self._split(params)

        def request():
            return self._client.chat.completions.create(
                model=self.model, messages=list(messages), stream=True,
                stream_options={"include_usage": True}, extra_body=body, **args,
            )

        text, usage, finish, latency = self._stream(
            request, lambda choice: choice.delta.content, on_token,
            prompt_chars=sum(len(m["content"]) for m in messages))
        return LLMCall(engine=self.engine, model=self.model, kind="chat",
                       messages=[dict(m) for m in messages], prompt=None, completion=text,
                       usage=usage, latency_s=latency, finish_reason=finish, params=params)

    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        on_token: TokenSink | None = None,
        sampling: Sampling | None = None,
    ) -> LLMCall:
        """Continue raw text through the completions endpoint, streaming tokens."""
        params = {"max_tokens": max_tokens, "temperature": temperature, "stop": list(stop or []),
                  **check_sampling(sampling)}
        args, body = self._split(params)

        def request():
            return self._client.completions.create(
                model=self.model, prompt=prompt, stream=True,
                stream_options={"include_usage": True}, extra_body=body, **args,
            )

        text, usage, finish, latency = self._stream(request, lambda choice: choice.text, on_token,
                                                    prompt_chars=len(prompt))
        return LLMCall(engine=self.engine, model=self.model, kind="completion", messages=None,
                       prompt=prompt, completion=text, usage=usage, latency_s=latency,
                       finish_reason=finish, params=params)

    def _response_format(self, schema: dict) -> dict:
        """llama.cpp's server takes a schema inside `json_object`; vLLM and hosted APIs take
        OpenAI's `json_schema`. Both constrain decoding to the schema."""
        if self.engine == "embedded":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}

    def _split(self, params: dict) -> tuple[dict, dict]:
        """Client arguments and extra body fields (top_k, min_p, ... are not OpenAI's)."""
        args = {k: v for k, v in _drop_empty(params).items()
                if k in {"max_tokens", "temperature", "stop", "response_format"} | _CLIENT_SAMPLING}
        body = {**self.extra_body, **{k: v for k, v in params.items() if k not in args
                                      and k not in {"stop"}}}
        return args, body

    def _stream(self, request: Callable, piece_of: Callable, on_token: TokenSink | None, *,
                prompt_chars: int):
        """Run a streaming request with retries; retry only before the first token arrives."""
        attempt = 0
        while True:
            started = time.perf_counter()
            parts: list[str] = []
            usage, finish = None, None
            try:
                for chunk in request():
                    if getattr(chunk, "usage", None):
                        usage = Usage(chunk.usage.prompt_tokens or 0,
                                      chunk.usage.completion_tokens or 0)
                    for choice in chunk.choices or []:
                        piece = piece_of(choice)
                        if piece:
                            parts.append(piece)
                            if on_token:
                                on_token(piece)
                        finish = choice.finish_reason or finish
            except RETRYABLE as exc:
                if parts or attempt >= self.max_retries:
                    raise LLMError(f"{self.engine} failed after {attempt + 1} tries: {exc}") from exc
                time.sleep(self.backoff_s * 2**attempt)
                attempt += 1
                continue
            except openai.APIError as exc:
                raise LLMError(f"{self.engine} rejected the request: {exc}") from exc
            if usage is None:  # about four characters a token; one streamed piece a token
                usage = Usage(max(1, prompt_chars // 4), len(parts), estimated=True)
            return "".join(parts), usage, finish, time.perf_counter() - started


def _drop_empty(params: dict) -> dict:
    return {k: v for k, v in params.items() if v not in (None, [])}
