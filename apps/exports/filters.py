"""The filters an export accepts, checked against each record's metadata."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from apps.exports.records import RecordMeta
from apps.traces.models import Run

SOURCES = tuple(Run.Source.values)  # a record's source is where its run came from


@dataclass(frozen=True)
class ExportFilters:
    sources: tuple[str, ...] = ()  # empty: every source that provides the format's records
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    classroom: int | None = None
    schema: str = ""
    min_agreement: float | None = None
    adjudicated_only: bool = False
    min_rating: float | None = None
    max_rating: float | None = None
    engine: str = ""
    model: str = ""
    validation_fraction: float = 0.1
    seed: int = 0

    def admits(self, meta: RecordMeta) -> bool:
        """Whether a record passes every filter (adapters may also pre-filter in SQL)."""
        day = meta.created_at.date()
        return not (
            (self.sources and meta.source not in self.sources)
            or (self.date_from and day < self.date_from)
            or (self.date_to and day > self.date_to)
            or (self.classroom is not None and meta.classroom_id != self.classroom)
            or (self.schema and meta.schema != self.schema)
            or (self.min_agreement is not None
                and (meta.agreement is None or meta.agreement < self.min_agreement))
            or (self.adjudicated_only and not meta.adjudicated)
            or (self.min_rating is not None and (meta.rating is None or meta.rating < self.min_rating))
            or (self.max_rating is not None and (meta.rating is None or meta.rating > self.max_rating))
            or (self.engine and meta.engine != self.engine)
            or (self.model and meta.model != self.model))

    def to_json(self) -> dict:
        """The filters as set (defaults left out), JSON-ready, for the manifest and audit log."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = value.isoformat() if isinstance(value, date) else (
                    list(value) if isinstance(value, tuple) else value)
        return out

    @classmethod
    def from_json(cls, data: dict) -> ExportFilters:
        values = dict(data)
        for key in ("date_from", "date_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        if "sources" in values:
            values["sources"] = tuple(values["sources"])
        return cls(**values)

