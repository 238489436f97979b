"""Annotation schemas as data: the field kinds, their validation, and the built-in defaults.

A schema is a list of fields; each field is a dict with `name`, `kind`, `label` and, by kind:
- `rating`: `options` (ordered labels, low to high) — ordinal;
- `categorical`: `options`, and `ordinal` (true when the options are ordered);
- `text`: nothing more (free text; never used in agreement);
- `steps`: values −1 / 0 / +1 per reasoning step or tutor turn (ordinal);
- `pairwise`: `A` / `B` / `tie` between two candidate replies (nominal).
Label values are stored raw, as the annotator gave them, keyed by field name. A stored list is
checked here (`validate_fields`) and read as `agents.schema_fields.FieldSpec`
(`AnnotationSchema.specs`).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError

from agents.schema_fields import KINDS, STEP_VALUES, FieldSpec

YES_SOME_NO = ["No", "To some extent", "Yes"]
TEXT_MAX_LENGTH = 2000  # as the label form's textareas say


def storable_text(text: str, what: str, max_length: int | None = None) -> str:
    """Refuse, with a message, text that Postgres cannot store (NUL) or that is longer than allowed."""
    if "\x00" in text:
        raise ValidationError(f"{what}: must not contain null characters")
    if max_length is not None and len(text) > max_length:
        raise ValidationError(f"{what}: at most {max_length} characters (this has {len(text)})")
    return text


def _has_null(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_null(k) or _has_null(v) for k, v in value.items())
    return isinstance(value, list) and any(map(_has_null, value))


def validate_fields(fields) -> list[dict]:
    """Check a schema's field list; raise ValidationError with messages a person can act on."""
    if not isinstance(fields, list) or not fields:
        raise ValidationError("a schema needs a non-empty list of fields")
    errors, names = [], set()
    for i, field in enumerate(fields, 1):
        if not isinstance(field, dict):
            errors.append(f"field {i}: must be an object with name, kind and label")
            continue
        name, kind = field.get("name"), field.get("kind")
        if not name or not isinstance(name, str) or not name.isidentifier():
            errors.append(f"field {i}: `name` must be a word such as `coherence`")
        elif name in names:
            errors.append(f"field {i}: name `{name}` is used twice")
        else:
            names.add(name)
        label = field.get("label")
        if not isinstance(label, str) or not label.strip():
            errors.append(f"field {i}: `label` must be the text annotators see, such as `Coherence`")
        if _has_null(field):
            errors.append(f"field {i}: text must not contain null characters")
        if kind not in KINDS:
            errors.append(f"field {i}: `kind` must be one of {', '.join(KINDS)}")
        elif kind in ("rating", "categorical"):
            options = field.get("options")
            distinct = isinstance(options, list) and len(set(map(str, options))) == len(options)
            if not distinct or len(options) < 2:
                errors.append(f"field {i}: `options` must list at least two distinct values")
    if errors:
        raise ValidationError(errors)
    return fields


def validate_value(fields: Sequence[FieldSpec], value: dict, *, n_steps: int = 0) -> dict:
    """Check one label against the schema: every non-text field answered with an allowed value."""
    if not isinstance(value, dict):
        raise ValidationError("a label must be an object keyed by field name")
    errors = []
    for field in fields:
        given = value.get(field.name)
        if field.kind == "text":
            if given is not None and not isinstance(given, str):
                errors.append(f"{field.label}: must be text")
            elif given:
                try:
                    storable_text(given, field.label, TEXT_MAX_LENGTH)
                except ValidationError as exc:
                    errors.extend(exc.messages)
        elif field.kind == "steps":
            if not isinstance(given, list) or len(given) != n_steps or any(
                    v not in STEP_VALUES for v in given):
                errors.append(f"{field.label}: give −1, 0 or +1 for each of the {n_steps} steps")
        elif given not in field.options:
            errors.append(f"{field.label}: choose one of {', '.join(map(str, field.options))}")
    unknown = set(value) - {f.name for f in fields}
    if unknown:
        errors.append(f"unknown fields: {', '.join(sorted(unknown))}")
    if errors:
        raise ValidationError(errors)
    return value


# What each queue target's items show, so which field kinds can be answered on them.
TARGET_ITEMS = {
    "turn": ("one tutor reply", {"rating", "categorical", "text"}),
    "mrbench": ("one tutor reply", {"rating", "categorical", "text"}),
    "run": ("the reasoning steps of a run", {"steps", "rating", "categorical", "text"}),
    "pair": ("two candidate replies", {"pairwise", "rating", "categorical", "text"}),
}
REQUIRED_KIND = {"run": "steps", "pair": "pairwise"}


def schema_misfit(fields: Sequence[FieldSpec], target: str) -> str:
    """Why a schema cannot label a target's items ("" when it can): a pairwise question needs two
    replies, step labels need steps, and a queue of pairs or runs needs its own kind of field."""
    shows, allowed = TARGET_ITEMS[target]
    for field in fields:
        if field.kind not in allowed:
            return (f"the field “{field.label}” ({field.kind}) cannot be answered on items that "
                    f"show {shows}; choose a schema made for them")
    needed = REQUIRED_KIND.get(target)
    if needed and not any(f.kind == needed for f in fields):
        return f"items that show {shows} need a schema with a {needed} field"
    return ""


MRBENCH_DIMENSIONS = [
    ("mistake_identification", "Mistake identification", "Mistake_Identification",
     "Has the tutor identified a mistake in the student's response?", YES_SOME_NO),
    ("mistake_location", "Mistake location", "Mistake_Location",
     "Does the tutor's response accurately point to a genuine mistake and its location?", YES_SOME_NO),
    ("revealing_of_the_answer", "Revealing of the answer", "Revealing_of_the_Answer",
     "Does the tutor reveal the final answer (whether correct or not)?",
     ["No", "Yes (and the answer is correct)", "Yes (but the answer is incorrect)"]),
    ("providing_guidance", "Providing guidance", "Providing_Guidance",
     "Does the tutor offer correct and relevant guidance, such as an explanation, elaboration, "
     "hint or example?", YES_SOME_NO),
    ("actionability", "Actionability", "Actionability",
     "Is it clear from the tutor's feedback what the student should do next?", YES_SOME_NO),
    ("coherence", "Coherence", "Coherence",
     "Is the tutor's response logically consistent with the student's previous response?",
     YES_SOME_NO),
    ("tutor_tone", "Tutor tone", "Tutor_Tone",
     "Is the tutor's response encouraging, neutral, or offensive?",
     ["Offensive", "Neutral", "Encouraging"]),
    ("humanlikeness", "Humanlikeness", "humanlikeness",
     "Does the tutor's response sound natural, rather than robotic or artificial?", YES_SOME_NO),
]

MRBENCH_KEYS = {source_key.lower(): name for name, _, source_key, _, _ in MRBENCH_DIMENSIONS}

DEFAULT_SCHEMAS = {
    "tutor-turn": [
        {"name": name, "kind": "categorical", "label": label, "question": question,
         "options": options, "ordinal": name != "revealing_of_the_answer"}
        for name, label, _, question, options in MRBENCH_DIMENSIONS
    ] + [{"name": "comment", "kind": "text", "label": "Comment"}],
    "reasoning-steps": [
        {"name": "steps", "kind": "steps", "label": "Step labels",
         "question": "Is each step correct and useful (+1), neutral (0) or wrong (−1)?"},
        {"name": "comment", "kind": "text", "label": "Comment"},
    ],
    "pairwise-preference": [
        {"name": "preference", "kind": "pairwise", "label": "Better reply",
         "question": "Which tutor reply is better for this student here?"},
        {"name": "comment", "kind": "text", "label": "Comment"},
    ],
}
