"""What a queue's filter selects, as (key, target object, payload) items annotators will see.

Payloads are verbatim snapshots, so a label always refers to exactly what its annotator saw.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from django.core.exceptions import ValidationError

from apps.accounts.selectors import withdrawn_learner_ids
from apps.annotation.models import CandidatePair
from apps.traces.models import Run
from apps.tutoring.models import Turn

CONTEXT_TURNS = 6
DEFAULT_LIMIT = 200

Item = tuple[str, object, dict]


def _dates(filter: dict) -> dict:
    out = {}
    for key, lookup in (("since", "gte"), ("until", "lte")):
        if filter.get(key):
            try:
                out[lookup] = date.fromisoformat(str(filter[key]))
            except ValueError as exc:
                raise ValidationError(f"`{key}` must be a date like 2026-11-25") from exc
    return out


def _limit(filter: dict) -> int:
    try:
        return max(1, int(filter.get("limit") or DEFAULT_LIMIT))
    except (TypeError, ValueError) as exc:
        raise ValidationError("`limit` must be a whole number") from exc


def _context(turn: Turn) -> list[dict]:
    earlier = (Turn.objects.filter(session_id=turn.session_id, index__lt=turn.index)
               .order_by("-index")[:CONTEXT_TURNS])
    return [{"author": t.author, "text": t.text} for t in reversed(earlier)]


def learner_of(target) -> int | None:
    """The student whose work a queue item's target is (None for runs of agents, MRBench)."""
    if isinstance(target, Turn):
        return target.session.student_id
    if isinstance(target, CandidatePair):
        return target.turn.session.student_id
    if isinstance(target, Run):
        return target.user_id
    return None


def tutor_turns(filter: dict) -> Iterator[Item]:
    """Finished tutor turns, leaving out learners who withdrew data-sharing consent (any class)."""
    qs = (Turn.objects.filter(author=Turn.Author.TUTOR, status=Turn.Status.DONE)
          .exclude(session__student__in=withdrawn_learner_ids())
          .select_related("session__problem"))
    for lookup, day in _dates(filter).items():
        qs = qs.filter(**{f"created_at__date__{lookup}": day})
    if filter.get("move"):
        qs = qs.filter(move=filter["move"])
    if filter.get("origin"):
        qs = qs.filter(session__origin=filter["origin"])
    for turn in qs.order_by("id")[:_limit(filter)]:
        yield (f"turn:{turn.pk}", turn, {
            "problem": turn.session.problem.statement, "context": _context(turn),
            "reply": turn.text, "session_id": turn.session_id, "turn_id": turn.pk})


def reasoning_steps(text: str) -> list[str]:
    """Split reasoning into steps: paragraphs, or lines where there are no blank lines."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(parts) <= 1:
        parts = [line.strip() for line in text.splitlines() if line.strip()]
    return parts


def _attempt_paths(run: Run) -> list[tuple[str, str, str]]:
    """An ATLAS run's student attempts as (label, question, solution): the teacher's feedback,
    the plan, the memory JSON and the reward are other calls' work and never steps."""
    from apps.lab.models import AtlasSessionRecord

    record = AtlasSessionRecord.objects.filter(run=run).first()
    if record is None:
        return []
    return [(f"attempt {i + 1}", record.question, attempt.get("text", ""))
            for i, attempt in enumerate(record.attempts)]


def _leap_paths(run: Run) -> list[tuple[str, str, str]]:
    """A LeaP run's paths, each what that path itself wrote (its prefix, reasoning and answer):
    not the raw prompt, the recaps or the peers' summaries it was shown."""
    from agents.graphs.leap import OWN_KINDS
    from apps.lab.models import LeapProblemResult

    result = LeapProblemResult.objects.filter(run=run).first()
    if result is None:
        return []
    return [(f"{result.mode} path {path['index'] + 1}", result.question,
             "".join(s["text"] for s in path.get("segments", ()) if s["kind"] in OWN_KINDS))
            for path in result.paths]


def traced_runs(filter: dict) -> Iterator[Item]:
    """The solutions of ATLAS and LeaP runs split into steps: one item per student attempt or
    LeaP path, with the problem as its question (runs of learners who withdrew consent left out)."""
    qs = (Run.objects.filter(source__in=filter.get("sources") or [Run.Source.ATLAS, Run.Source.LEAP])
          .exclude(user__in=withdrawn_learner_ids()))
    for lookup, day in _dates(filter).items():
        qs = qs.filter(**{f"started_at__date__{lookup}": day})
    if filter.get("engine"):
        qs = qs.filter(engine=filter["engine"])
    if filter.get("status"):
        qs = qs.filter(status=filter["status"])
    for run in qs.order_by("id")[:_limit(filter)]:
        paths = _leap_paths(run) if run.source == Run.Source.LEAP else _attempt_paths(run)
        for number, (label, question, solution) in enumerate(paths):
            steps = reasoning_steps(solution)
            if steps:
                yield (f"run:{run.pk}:{number}", run, {
                    "run_id": run.pk, "source": run.source, "name": f"{run.name}, {label}",
                    "path": label, "question": question, "steps": steps})


def pair_item(pair: CandidatePair) -> Item:
    """A candidate pair as annotators see it: context and both replies, not which was shown."""
    turn = pair.turn
    context = _context(turn) + [{"author": turn.author, "text": turn.text}]
    return (f"pair:{pair.pk}", pair, {"problem": turn.session.problem.statement, "context": context,
                                      "reply_a": pair.reply_a, "reply_b": pair.reply_b})


def candidate_pairs(filter: dict) -> Iterator[Item]:
    """Candidate reply pairs, leaving out learners who withdrew data-sharing consent."""
    qs = (CandidatePair.objects.select_related("turn__session__problem")
          .exclude(turn__session__student__in=withdrawn_learner_ids()))
    for lookup, day in _dates(filter).items():
        qs = qs.filter(**{f"created_at__date__{lookup}": day})
    for pair in qs.order_by("id")[:_limit(filter)]:
        yield pair_item(pair)


SOURCES = {"turn": tutor_turns, "run": traced_runs, "pair": candidate_pairs}


def items_for(target: str, filter: dict) -> list[Item]:
    """The items a new queue starts with (MRBench queues are filled by `import_mrbench`)."""
    return list(SOURCES[target](filter)) if target in SOURCES else []
