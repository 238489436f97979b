"""Hypothesis helpers for fuzzing forms: a post with a few fields broken on purpose."""

from __future__ import annotations

from hypothesis import strategies as st


def partly_broken_post(draw, fields: dict) -> tuple[dict, set[str]]:
    """Draw a form post from `fields` ({name: (good strategy, bad strategy or None)}), with up to
    three fields drawn from their bad strategy; returns the post and the broken names. A
    strategy may draw None: that field is left out of the post."""
    breakable = sorted(name for name, (_, bad) in fields.items() if bad is not None)
    broken = draw(st.sets(st.sampled_from(breakable), max_size=3))
    post = {}
    for name, (good, bad) in fields.items():
        value = draw(bad if name in broken else good)
        if value is not None:
            post[name] = value
    return post, set(broken)
