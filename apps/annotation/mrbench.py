"""Import MRBench (Maurya et al., NAACL 2025) as a queue whose gold labels are its annotations."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.annotation import services
from apps.annotation.models import AnnotationQueue, AnnotationSchema, Label, QueueItem
from apps.annotation.schema_spec import MRBENCH_KEYS

GOLD_RATER = "gold:mrbench"
SCHEMA_NAME = "tutor-turn"


def _records(path: Path) -> list[dict]:
    try:
        dialogues = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path}: cannot read MRBench JSON ({exc})") from exc
    if not isinstance(dialogues, list):
        raise ValidationError(f"{path}: expected a JSON array of dialogues")
    records, errors = [], []
    for i, dialogue in enumerate(dialogues, 1):
        missing = [k for k in ("conversation_id", "conversation_history", "anno_llm_responses")
                   if k not in dialogue]
        if missing:
            errors.append(f"dialogue {i}: missing {', '.join(missing)}")
            continue
        for tutor, entry in dialogue["anno_llm_responses"].items():
            annotation = {k.lower(): v for k, v in entry.get("annotation", {}).items()}
            gold = {MRBENCH_KEYS[k]: v for k, v in annotation.items() if k in MRBENCH_KEYS}
            if len(gold) != len(MRBENCH_KEYS) or not entry.get("response"):
                errors.append(f"dialogue {i} ({dialogue['conversation_id']}), tutor {tutor}: "
                              "response or one of the 8 annotations is missing")
                continue
            records.append({"key": f"mrbench:{i}:{dialogue['conversation_id']}:{tutor}",
                            "payload": {"context": dialogue["conversation_history"],
                                        "reply": entry["response"], "tutor": tutor,
                                        "conversation_id": dialogue["conversation_id"],
                                        "data": dialogue.get("Data", ""),
                                        "annotation": entry["annotation"]},
                            "gold": gold})
    if errors:
        raise ValidationError(errors[:20])
    return records


@transaction.atomic
def import_mrbench(path: Path, *, queue_name: str = "MRBench V1", limit: int | None = None,
                   created_by=None) -> AnnotationQueue:
    """Create (or extend) the MRBench queue: one item per response, gold labels as a rater."""
    records = _records(path)[:limit] if limit else _records(path)
    schema = AnnotationSchema.objects.filter(name=SCHEMA_NAME).order_by("-version").first()
    queue, _ = AnnotationQueue.objects.get_or_create(
        name=queue_name, defaults={"schema": schema, "target": AnnotationQueue.Target.MRBENCH,
                                   "created_by": created_by})
    services.add_items(queue, [(r["key"], None, r["payload"]) for r in records])
    items = dict(QueueItem.objects.filter(queue=queue).values_list("key", "pk"))
    Label.objects.bulk_create(
        [Label(kind=Label.Kind.GOLD, item_id=items[r["key"]], rater=GOLD_RATER, schema=queue.schema,
               value=r["gold"]) for r in records], ignore_conflicts=True)
    return queue
