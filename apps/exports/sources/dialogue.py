"""What the engine saw for each tutor turn: the messages stored with the LLM call that wrote it.

A tutor turn's reply comes from the last chat call of its `respond` / `guard` spans (the guard's
regeneration replaces the first reply) or, for the baseline tutor of an evaluation, of its
`baseline_turn` span. Those messages, verbatim, are the turn's context: its own system prompt
(assessment, move instruction, no-telling sentence and scaffolding as rendered that turn) and the
dialogue before it. A turn no engine call wrote (a teacher's, an evaluation's greeting, a turn
whose trace is gone) has no context and is not a training target.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import batched

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from apps.exports.records import Message
from apps.traces.models import LLMCall, Run
from apps.tutoring.models import Turn, TutoringSession

CHUNK = 500
REPLY_SPANS = ("respond", "guard", "baseline_turn")
FIRST_CALL_SPANS = ("respond", "baseline_turn")  # a turn's first reply call; "guard" redoes it
NO_CONTEXT = "tutor turn without a stored engine call (teacher turn, greeting or untraced)"


@dataclass(frozen=True)
class EngineContext:
    """The messages one reply was generated from, and the engine and model that generated it."""

    messages: tuple[Message, ...]
    engine: str
    model: str


def chunks(queryset: QuerySet, size: int = CHUNK) -> Iterator[tuple]:
    """Rows of a queryset streamed from the database, handed out `size` at a time."""
    return batched(queryset.iterator(chunk_size=size), size)


def _context(call: dict) -> EngineContext:
    return EngineContext(tuple(Message(m["role"], m["content"]) for m in call["messages"] or ()),
                         call["engine"], call["model"])


def _reply_calls(runs: QuerySet[Run]) -> dict[int, list[dict]]:
    """Per run id, its reply calls in order."""
    out: dict[int, list[dict]] = defaultdict(list)
    for call in (LLMCall.objects.filter(run__in=runs, span__name__in=REPLY_SPANS, kind="chat")
                 .order_by("id").values("run_id", "messages", "engine", "model", "span__name")):
        out[call["run_id"]].append(call)
    return out


def engine_contexts(turns: Iterable[Turn]) -> dict[int, EngineContext]:
    """Per tutor turn id, the context its reply was written in; turns without one are absent.

    Student sessions trace each turn in a `tutor_turn` run whose subject is the turn; an
    evaluation traces the whole dialogue in one run whose subject is the session, where the
    k-th reply of the run wrote the k-th tutor turn that has one (the greeting comes first and
    has none). Two queries for any number of turns.
    """
    turns = [t for t in turns if t.author == Turn.Author.TUTOR]
    out: dict[int, EngineContext] = {}
    turn_runs = Run.objects.filter(subject_type=ContentType.objects.get_for_model(Turn),
                                   subject_id__in=[t.pk for t in turns], name="tutor_turn",
                                   status=Run.Status.OK)
    by_run = _reply_calls(turn_runs)
    for run_id, turn_id in turn_runs.values_list("id", "subject_id"):
        if by_run.get(run_id):
            out[turn_id] = _context(by_run[run_id][-1])
    missing = {t.session_id for t in turns if t.pk not in out}
    if not missing:
        return out
    session_runs = Run.objects.filter(subject_type=ContentType.objects.get_for_model(TutoringSession),
                                      subject_id__in=missing, status=Run.Status.OK)
    by_run = _reply_calls(session_runs)
    tutor_turns: dict[int, list[int]] = defaultdict(list)
    for session_id, turn_id in (Turn.objects.filter(session_id__in=missing, author=Turn.Author.TUTOR,
                                                    status=Turn.Status.DONE)
                                .exclude(text="").order_by("index").values_list("session_id", "id")):
        tutor_turns[session_id].append(turn_id)
    for run_id, session_id in session_runs.values_list("id", "subject_id"):
        replies: list[list[dict]] = []
        for call in by_run.get(run_id, ()):
            if call["span__name"] in FIRST_CALL_SPANS or not replies:
                replies.append([])
            replies[-1].append(call)
        written = tutor_turns[session_id][-len(replies):] if replies else []
        for turn_id, calls in zip(written, replies[-len(written):] if written else [], strict=True):
            out.setdefault(turn_id, _context(calls[-1]))
    return out

