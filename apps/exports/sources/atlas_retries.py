"""ATLAS sessions the student got wrong first and right on a retry, as DPO preference pairs.

The prompt is the context the chosen answer was written in: the messages of the student's
call that produced it (its system prompt with the pamphlet, the problem, the earlier attempt and
the teacher's feedback), verbatim from the trace. The first successful attempt is `chosen` and
each earlier failed attempt `rejected`. An attempt's stored `correct` is used where it was
validated, else its answer is checked against the gold answer. Records are grouped by problem
for the split.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from django.db.models import QuerySet

from agents.math import answers_match
from apps.exports.filters import ExportFilters
from apps.exports.preferences import pairs_from_retries
from apps.exports.records import Message, PreferencePair, RecordMeta, Skipped
from apps.exports.sources.consensus import day_range
from apps.exports.sources.dialogue import chunks
from apps.exports.splits import problem_group
from apps.lab.models import AtlasSessionRecord
from apps.lab.selectors import scored_atlas_sessions
from apps.traces.models import LLMCall, Run

ATTEMPT_SPANS = ("atlas.solve", "atlas.retry")
NO_TRACE = "atlas: the session's student calls are not in its trace"


def _succeeded(attempt: dict, gold: str) -> bool:
    if attempt.get("correct") is not None:
        return bool(attempt["correct"])
    return bool(attempt.get("answer")) and answers_match(attempt["answer"], gold)


def attempt_contexts(run_ids) -> dict[int, list[tuple[Message, ...]]]:
    """Per run, the messages of each student attempt's call, in attempt order."""
    out: dict[int, list[tuple[Message, ...]]] = defaultdict(list)
    for call in (LLMCall.objects.filter(run_id__in=run_ids, span__name__in=ATTEMPT_SPANS)
                 .order_by("id").values("run_id", "messages")):
        out[call["run_id"]].append(tuple(Message(m["role"], m["content"])
                                         for m in call["messages"] or ()))
    return out


class AtlasRetryPairs:
    """Recovered ATLAS sessions; they have no learner or classroom."""

    def _sessions(self, filters: ExportFilters) -> QuerySet[AtlasSessionRecord]:
        qs = scored_atlas_sessions(recovered_only=True).filter(**day_range(filters, "created_at"))
        if filters.classroom is not None:
            return qs.none()
        if filters.engine:
            qs = qs.filter(run__engine=filters.engine)
        if filters.model:
            qs = qs.filter(run__model=filters.model)
        return qs.select_related("run").order_by("pk")

    def count(self, filters: ExportFilters) -> int:
        return self._sessions(filters).count()

    def records(self, filters: ExportFilters) -> Iterator[PreferencePair | Skipped]:
        for chunk in chunks(self._sessions(filters)):
            contexts = attempt_contexts([row.run_id for row in chunk if row.run_id])
            for row in chunk:
                meta = RecordMeta(conversation_id=problem_group(row.question), source=Run.Source.ATLAS,
                                  created_at=row.created_at, engine=row.run.engine if row.run else "",
                                  model=row.run.model if row.run else "", rating=row.reward)
                prompts = contexts.get(row.run_id, [])
                if len(prompts) != len(row.attempts):
                    yield Skipped(meta, NO_TRACE)
                    continue
                attempts = [(a.get("text", ""), _succeeded(a, row.gold)) for a in row.attempts]
                yield from pairs_from_retries(meta, prompts, attempts)
