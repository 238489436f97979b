"""One field of an annotation schema, parsed once from the schema's stored JSON.

The stored format (a list of dicts: `name`, `kind`, `label`, and by kind `options`, `ordinal`,
`question`) is what people write and what old versions keep; everything that reads a schema
(the label forms, the LLM judge, agreement, decisions, exports) reads :class:`FieldSpec`
instead, so a field's value set and scale are decided here and nowhere else. Pure Python, so
the judge in `agents/eval` and the annotation app share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("rating", "categorical", "text", "steps", "pairwise")
STEP_VALUES = (-1, 0, 1)
PAIRWISE_OPTIONS = ("A", "B", "tie")
ORDINAL_KINDS = ("rating", "steps")


@dataclass(frozen=True)
class FieldSpec:
    """A schema field: `options` is its ordered value set (steps and pairwise have fixed ones,
    free text none); `ordinal` says whether that order is a scale."""

    name: str
    kind: str
    label: str
    question: str = ""
    options: tuple[Any, ...] = ()
    ordinal: bool = False

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FieldSpec:
        kind = raw["kind"]
        if kind == "steps":
            options: tuple[Any, ...] = STEP_VALUES
        elif kind == "pairwise":
            options = PAIRWISE_OPTIONS
        elif kind == "text":
            options = ()
        else:
            options = tuple(raw.get("options") or ())
        return cls(name=raw["name"], kind=kind, label=raw["label"],
                   question=str(raw.get("question") or ""), options=options,
                   ordinal=kind in ORDINAL_KINDS or bool(raw.get("ordinal")))

    @property
    def scored(self) -> bool:
        """Free text is kept but never scored, decided or judged."""
        return self.kind != "text"


def parse_fields(raw: Iterable[Mapping[str, Any]]) -> tuple[FieldSpec, ...]:
    """A stored field list (already checked by `validate_fields`) as specs."""
    return tuple(FieldSpec.from_dict(field) for field in raw)
