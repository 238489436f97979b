"""One gateway over OpenAI-compatible engines, plus the scripted engine for tests."""

from __future__ import annotations

from dataclasses import dataclass

from agents.llm.openai_engine import OpenAIEngine
from agents.llm.scripted import ScriptedEngine
from agents.llm.types import LLM, ChatMessage, LLMCall, LLMError, TokenSink, Usage

ENGINES = ("embedded", "vllm", "openai", "scripted")


@dataclass(frozen=True)
class EngineConfig:
    """Where an engine lives; one per role (tutor, student agent, teacher agent, judge)."""

    engine: str = "embedded"
    base_url: str = "http://127.0.0.1:8008/v1"
    model: str = "smollm2"
    api_key: str = ""
    timeout_s: float = 60.0
    max_retries: int = 2


def make_llm(config: EngineConfig, *, scripted_replies=("OK",)) -> LLM:
    """Build the engine a config names; `scripted` takes its replies from the caller."""
    if config.engine not in ENGINES:
        raise ValueError(f"unknown LLM engine {config.engine!r}; choose one of {', '.join(ENGINES)}")
    if config.engine == "scripted":
        return ScriptedEngine(scripted_replies, model=config.model or "scripted")
    return OpenAIEngine(engine=config.engine, base_url=config.base_url, model=config.model,
                        api_key=config.api_key, timeout_s=config.timeout_s,
                        max_retries=config.max_retries)


__all__ = ["ENGINES", "LLM", "ChatMessage", "EngineConfig", "LLMCall", "LLMError",
           "OpenAIEngine", "ScriptedEngine", "TokenSink", "Usage", "make_llm"]
