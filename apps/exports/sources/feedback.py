"""Thumbs up / down on tutor turns as KTO binary feedback.

The prompt is the dialogue before the tutor turn, the completion the turn itself; each rater's
vote is one record (thumbs up → good). The vote's rating is 1 (up) or 0 (down), so the rating
filters can keep only one side.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from apps.annotation.models import Label
from apps.exports.filters import ExportFilters
from apps.exports.preferences import feedback_from_rating
from apps.exports.records import BinaryFeedback, RecordMeta
from apps.exports.sources.consensus import day_range
from apps.exports.sources.dialogue import chunks, prompts_for
from apps.tutoring.models import Turn


class TurnFeedback:
    """Feedback labels on finished tutor turns of sessions of one origin."""

    def __init__(self, origin: str, source: str) -> None:
        self.origin, self.source = origin, source

    def _labels(self, filters: ExportFilters) -> QuerySet[Label]:
        qs = Label.objects.filter(kind=Label.Kind.FEEDBACK, turn__session__origin=self.origin,
                                  turn__author=Turn.Author.TUTOR, turn__status=Turn.Status.DONE,
                                  value__thumbs__in=["up", "down"], **day_range(filters, "created_at"))
        if filters.classroom is not None:
            qs = qs.filter(turn__session__classroom_id=filters.classroom)
        return qs.select_related("turn__session__problem").order_by("pk")

    def count(self, filters: ExportFilters) -> int:
        return self._labels(filters).count()

    def records(self, filters: ExportFilters) -> Iterator[BinaryFeedback]:
        for chunk in chunks(self._labels(filters)):
            prompts = prompts_for((label.turn for label in chunk), including=False)
            for label in chunk:
                turn, up = label.turn, label.value["thumbs"] == "up"
                meta = RecordMeta(conversation_id=f"tutoring-{turn.session_id}", source=self.source,
                                  created_at=label.created_at, learner_id=turn.session.student_id,
                                  classroom_id=turn.session.classroom_id, rating=1.0 if up else 0.0)
                record = feedback_from_rating(meta, prompts[turn.pk], turn.text, thumbs_up=up)
                if record is not None:
                    yield record
