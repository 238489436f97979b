"""Thumbs up / down on tutor turns as KTO binary feedback, one record per turn and rater role.

The prompt is what the engine saw for the turn (`dialogue.engine_contexts`), the completion the
turn itself. The votes of one role (student, teacher) on one turn make one record: their
majority, with `votes` saying how many votes it stands for; an even split says nothing and is
counted as skipped. A student's and a teacher's verdicts stay separate rows, each naming its
`rater_role`, so a trainer can weigh or drop either. The rating is 1 (up) or 0 (down), so the
rating filters can keep only one side.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from django.db.models import QuerySet

from apps.annotation.models import Label
from apps.exports.filters import ExportFilters
from apps.exports.preferences import feedback_from_rating
from apps.exports.records import BinaryFeedback, RecordMeta, Skipped
from apps.exports.sources.consensus import day_range
from apps.exports.sources.dialogue import NO_CONTEXT, chunks, engine_contexts
from apps.tutoring.models import Turn

SPLIT_VOTE = "feedback: the role's votes on the turn are evenly split"


class TurnFeedback:
    """Feedback labels on finished tutor turns of sessions of one origin."""

    def __init__(self, origin: str, source: str) -> None:
        self.origin, self.source = origin, source

    def _turns(self, filters: ExportFilters) -> QuerySet[Turn]:
        labels = Label.objects.filter(kind=Label.Kind.FEEDBACK, value__thumbs__in=["up", "down"],
                                      **day_range(filters, "created_at"))
        qs = Turn.objects.filter(session__origin=self.origin, author=Turn.Author.TUTOR,
                                 status=Turn.Status.DONE, pk__in=labels.values("turn_id"))
        if filters.classroom is not None:
            qs = qs.filter(session__classroom_id=filters.classroom)
        return qs.select_related("session").order_by("pk")

    def count(self, filters: ExportFilters) -> int:
        return self._turns(filters).count()

    def records(self, filters: ExportFilters) -> Iterator[BinaryFeedback | Skipped]:
        for chunk in chunks(self._turns(filters)):
            contexts = engine_contexts(chunk)
            votes: dict[int, dict[str, list[Label]]] = defaultdict(lambda: defaultdict(list))
            for label in (Label.objects.filter(kind=Label.Kind.FEEDBACK, turn__in=chunk,
                                               value__thumbs__in=["up", "down"],
                                               **day_range(filters, "created_at"))
                          .select_related("annotator").order_by("pk")):
                role = label.value.get("role") or getattr(label.annotator, "role", "") or "unknown"
                votes[label.turn_id][role].append(label)
            for turn in chunk:
                context = contexts.get(turn.pk)
                for role, labels in sorted(votes[turn.pk].items()):
                    counts = Counter(label.value["thumbs"] for label in labels)
                    up = counts["up"] > counts["down"]
                    meta = RecordMeta(conversation_id=f"tutoring-{turn.session_id}", source=self.source,
                                      created_at=max(label.created_at for label in labels),
                                      learner_id=turn.session.student_id,
                                      classroom_id=turn.session.classroom_id,
                                      engine=context.engine if context else "",
                                      model=context.model if context else "",
                                      rating=1.0 if up else 0.0)
                    if context is None:
                        yield Skipped(meta, NO_CONTEXT)
                    elif counts["up"] == counts["down"]:
                        yield Skipped(meta, SPLIT_VOTE)
                    else:
                        record = feedback_from_rating(meta, context.messages, turn.text, thumbs_up=up)
                        yield BinaryFeedback(record.meta, record.prompt, record.completion, record.good,
                                             rater_role=role, votes=max(counts.values()))
