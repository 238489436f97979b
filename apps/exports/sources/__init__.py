"""Where records come from: a registry of adapters, each turning one app's rows into records.

An adapter registers the record type it yields for a source name, for example in its app's
`AppConfig.ready()`:

    register_source("atlas", PreferencePair, AtlasRetryPairs())

`apps.exports.preferences` turns pairwise labels, ATLAS attempt histories and ratings into
records. The exporter asks every registered adapter whose record type the format reads (narrowed by
the `sources` filter) and chains their records.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from apps.exports.filters import ExportFilters
from apps.exports.records import Record


class RecordSource(Protocol):
    def count(self, filters: ExportFilters) -> int:
        """How many records `records` will yield (for the progress bar; may be approximate)."""

    def records(self, filters: ExportFilters) -> Iterator[Record]:
        """Yield records lazily, pre-filtered where the database can do it cheaply."""


_REGISTRY: dict[tuple[str, type], RecordSource] = {}


def register_source(source: str, record_type: type, adapter: RecordSource) -> None:
    _REGISTRY[(source, record_type)] = adapter


def sources_for(record_type: type, filters: ExportFilters) -> list[tuple[str, RecordSource]]:
    """The adapters that feed a format, in registration order."""
    return [(source, adapter) for (source, kind), adapter in _REGISTRY.items()
            if kind is record_type and (not filters.sources or source in filters.sources)]

