"""The dialogue before a turn as prompt messages, fetched for a whole chunk of turns at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import batched

from django.db.models import QuerySet

from agents.graphs.tutor import NO_TELLING, TUTOR_SYSTEM_PROMPT
from apps.exports.records import Message
from apps.tutoring.models import Turn

ROLES = {Turn.Author.STUDENT: "user", Turn.Author.TUTOR: "assistant", Turn.Author.TEACHER: "assistant"}
CHUNK = 500


def system_message(problem_statement: str) -> Message:
    """The tutor's own system prompt for a problem."""
    return Message("system", TUTOR_SYSTEM_PROMPT.format(
        problem=problem_statement, assessment="", instruction="", no_telling=NO_TELLING).strip())


def chunks(queryset: QuerySet, size: int = CHUNK) -> Iterator[tuple]:
    """Rows of a queryset streamed from the database, handed out `size` at a time."""
    return batched(queryset.iterator(chunk_size=size), size)


def prompts_for(turns: Iterable[Turn], *, including: bool) -> dict[int, tuple[Message, ...]]:
    """Per turn id: the system prompt and the session's finished turns before it (and it, if
    `including`), in one query for the whole chunk. Turns need `session__problem` selected."""
    turns = list(turns)
    earlier: dict[int, list[Turn]] = defaultdict(list)
    for turn in (Turn.objects.filter(session_id__in={t.session_id for t in turns},
                                     status=Turn.Status.DONE).exclude(text="")
                 .only("session_id", "index", "author", "text").order_by("session_id", "index")):
        earlier[turn.session_id].append(turn)
    out = {}
    for turn in turns:
        before = [t for t in earlier[turn.session_id]
                  if t.index < turn.index or (including and t.index == turn.index)]
        out[turn.pk] = (system_message(turn.session.problem.statement),
                        *(Message(ROLES[t.author], t.text) for t in before))
    return out
