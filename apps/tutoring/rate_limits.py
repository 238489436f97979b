"""A fixed-window limit on LLM-backed actions per user, counted in Redis."""

import time

from django.conf import settings
from django.core.cache import cache


def allow_llm_call(user_id: int, action: str = "llm") -> bool:
    """Count one call for this user in the current minute; False once over the limit."""
    window = int(time.time() // 60)
    key = f"ratelimit:{action}:{user_id}:{window}"
    cache.add(key, 0, timeout=120)
    return cache.incr(key) <= settings.LLM_RATE_LIMIT_PER_MINUTE
