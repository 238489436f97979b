"""The LLM engines that settings configure, for every app that runs an agent graph."""

from __future__ import annotations

import json
from functools import cache

from django.conf import settings

from agents.llm import LLM, EngineConfig, ScriptedEngine, make_llm


def engine_config(engine: str | None = None) -> EngineConfig:
    """The configured engine, or another one by name on the same settings."""
    return EngineConfig(engine=engine or settings.LLM_ENGINE, base_url=settings.LLM_BASE_URL,
                        model=settings.LLM_MODEL, api_key=settings.LLM_API_KEY,
                        timeout_s=settings.LLM_TIMEOUT_S)


@cache
def get_llm(engine: str | None = None) -> LLM:
    """One engine per process and name; the scripted one reads its replies from settings."""
    config = engine_config(engine)
    if config.engine == "scripted":
        return ScriptedEngine(json.loads(settings.LLM_SCRIPTED_REPLIES),
                              token_delay_s=settings.LLM_SCRIPTED_TOKEN_DELAY_S)
    return make_llm(config)
