"""The misconception detector the app runs: built from the DB catalogue, cached per process."""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from agents.embeddings import EmbeddingModelMissing, default_embedder
from agents.graphs.detection import MisconceptionDetector, NoDetector
from agents.graphs.misconception import METHODS, CatalogueIndex, GraphMisconceptionDetector
from apps.engines import get_llm
from apps.problems.selectors import catalogue_entries, catalogue_version

log = logging.getLogger(__name__)
_lock = threading.Lock()
_built: dict[tuple, MisconceptionDetector] = {}


def get_detector(method: str | None = None) -> MisconceptionDetector:
    """The configured detector; rebuilt (catalogue re-embedded) only when the catalogue changes.

    With an empty catalogue or no embedding model installed it is `NoDetector`, so a tutoring
    turn never fails for want of one (the reason is logged).
    """
    method = method or settings.MISCONCEPTION_METHOD
    if method not in METHODS:
        raise ValueError(f"MISCONCEPTION_METHOD must be one of {', '.join(METHODS)}, not {method!r}")
    key = (method, settings.MISCONCEPTION_TOP_K, catalogue_version())
    with _lock:
        if key not in _built:
            _built.clear()
            _built[key] = _build(method)
        return _built[key]


def _build(method: str) -> MisconceptionDetector:
    entries = catalogue_entries()
    if not entries:
        log.info("misconception catalogue is empty: detection is off")
        return NoDetector()
    try:
        index = CatalogueIndex(entries, default_embedder())
    except EmbeddingModelMissing as exc:
        log.error("misconception detection is off: %s", exc)
        return NoDetector()
    return GraphMisconceptionDetector(index, None if method == "retrieval" else get_llm(),
                                      method=method, k=settings.MISCONCEPTION_TOP_K)
