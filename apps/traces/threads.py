"""A run's thread: the key its producer groups runs by ("tutoring-session:12"), so the trace
list can show one conversation's runs without knowing what a conversation is.

A producer registers its kind of thread (in its AppConfig.ready): how the trace pages name a
thread of that kind and which of the producer's pages they link back to.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

MAX_LENGTH = 64


@dataclass(frozen=True)
class ThreadKind:
    label: str  # "session"
    url_name: str  # reversed with the thread's id: "session_detail"


@dataclass(frozen=True)
class ThreadLink:
    label: str  # "session 12"
    url: str


_KINDS: dict[str, ThreadKind] = {}


def register(kind: str, *, label: str, url_name: str) -> None:
    _KINDS[kind] = ThreadKind(label, url_name)


def key(kind: str, ident: int | str) -> str:
    return f"{kind}:{ident}"


def link(thread: str) -> ThreadLink | None:
    """The producer's page for a thread; None for a kind nobody registered or an id its page
    does not take."""
    kind, _, ident = thread.partition(":")
    found = _KINDS.get(kind)
    if found is None or not ident:
        return None
    try:
        return ThreadLink(f"{found.label} {ident}", reverse(found.url_name, args=[ident]))
    except NoReverseMatch:
        return None
