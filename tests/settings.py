"""Test settings: the scripted engine, and a Redis database of its own (broker, channels, cache)."""

import os

os.environ.setdefault("LLM_ENGINE", "scripted")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("CHANNELS_PREFIX", "tg-test")
os.environ.setdefault("LLM_SCRIPTED_TOKEN_DELAY_S", "0.02")
os.environ.setdefault("LLM_RATE_LIMIT_PER_MINUTE", "1000")

from config.settings import *  # noqa: E402,F403

DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405  (worker threads must not hold connections)
