"""Factories for annotation tests: a small schema and a queue of plain items."""

from __future__ import annotations

import pytest

from apps.annotation import services
from apps.annotation.models import AnnotationQueue
from tests.conftest import make_user

FIELDS = [
    {"name": "correct", "kind": "categorical", "label": "Correct", "options": ["No", "Yes"]},
    {"name": "tone", "kind": "rating", "label": "Tone", "options": ["bad", "ok", "good"]},
    {"name": "comment", "kind": "text", "label": "Comment"},
]


def make_queue(annotators, *, name="q", n_items=1, n_per_item=2, blind=True, threshold=0.0,
               lead=None, fields=FIELDS, payloads=None) -> AnnotationQueue:
    schema = services.save_schema_version(f"test-{name}", fields)
    admin = make_user(f"admin-{name}", "admin")
    queue = services.create_queue(name=name, schema=schema, target=AnnotationQueue.Target.MRBENCH,
                                  filter={}, annotators=annotators, created_by=admin,
                                  n_per_item=n_per_item, blind=blind, threshold=threshold, lead=lead)
    payloads = payloads or [{"context": "Student: 3 x 6 = 24", "reply": f"Reply {i}"}
                            for i in range(n_items)]
    services.add_items(queue, [(f"item-{i}", None, p) for i, p in enumerate(payloads)])
    return queue


@pytest.fixture
def annotators(db):
    return [make_user(name, "annotator") for name in ("ann", "ben", "cat")]
