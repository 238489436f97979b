"""Pull one JSON object out of an LLM reply that may wrap it in prose or code fences."""

from __future__ import annotations

import json

_DECODER = json.JSONDecoder()


def parse_json_object(text: str) -> dict | None:
    """Return the first JSON object in `text`, or None when there is none."""
    start = text.find("{")
    while start != -1:
        try:
            return _DECODER.raw_decode(text, start)[0]
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
    return None
