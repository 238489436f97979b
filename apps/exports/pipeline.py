"""Records in, a finished dataset directory out: filter, privacy, format, split, write, manifest.

The directory appears only when everything is written: work happens in a hidden sibling that
is renamed into place at the end and deleted on any error, so a failure leaves no half file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from apps.exports import privacy as privacy_rule
from apps.exports.filters import ExportFilters
from apps.exports.formats import FORMATS, PRM_LABEL_RULE, SCHEMA_VERSION
from apps.exports.manifest import code_version, sha256_of
from apps.exports.privacy import Privacy
from apps.exports.records import Record
from apps.exports.splits import TRAIN, VALIDATION, split_of
from apps.exports.writers import WRITERS, DatasetWriter

MANIFEST = "manifest.json"
PROGRESS_EVERY = 1_000

Progress = Callable[[int, int | None], None]


class ExportError(Exception):
    """An export that cannot be made as asked (bad format, target in the way, ...)."""


def write_dataset(records: Iterable[Record], *, format_name: str, file_type: str, out_dir: Path,
                  filters: ExportFilters, privacy: Privacy, total: int | None = None,
                  on_progress: Progress | None = None, about: dict | None = None) -> dict:
    """Write `records` as one dataset into `out_dir` (which must not exist yet); return the manifest."""
    fmt = FORMATS.get(format_name)
    if fmt is None:
        raise ExportError(f"unknown format {format_name!r}; choose one of {', '.join(FORMATS)}")
    if file_type not in WRITERS:
        raise ExportError(f"unknown file type {file_type!r}; choose one of {', '.join(WRITERS)}")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ExportError(f"{out_dir} already exists and is not empty")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    writers: dict[str, DatasetWriter] = {}
    counts = {"read": 0, "filtered_out": 0, "excluded_opted_out": 0, "unusable": 0,
              TRAIN: 0, VALIDATION: 0}
    try:
        for record in records:
            counts["read"] += 1
            if on_progress and counts["read"] % PROGRESS_EVERY == 0:
                on_progress(counts["read"], total)
            if not isinstance(record, fmt.reads):
                raise ExportError(f"format {fmt.name} reads {fmt.reads.__name__} records, "
                                  f"a source gave {type(record).__name__}")
            meta = record.meta
            if privacy.excludes(meta.learner_id):
                counts["excluded_opted_out"] += 1
                continue
            if not filters.admits(meta):
                counts["filtered_out"] += 1
                continue
            row = fmt.build(record, privacy)
            if row is None:
                counts["unusable"] += 1
                continue
            split = split_of(meta.conversation_id, seed=filters.seed,
                             validation_fraction=filters.validation_fraction)
            if split not in writers:
                writers[split] = WRITERS[file_type](work / f"{split}.{file_type}", fmt.schema)
            writers[split].write(row)
            counts[split] += 1
        for writer in writers.values():
            writer.close()
        manifest = {
            **(about or {}),
            "format": fmt.name, "description": fmt.description, "file_type": file_type,
            "schema_version": SCHEMA_VERSION, "code_version": code_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "filters": filters.to_json(),
            "split": {"by": "conversation", "seed": filters.seed,
                      "validation_fraction": filters.validation_fraction},
            "counts": counts,
            "files": [{"name": w.path.name, "split": split, "records": w.rows,
                       "bytes": w.path.stat().st_size, "sha256": sha256_of(w.path)}
                      for split, w in sorted(writers.items())],
            "privacy": privacy_rule.RULE,
            **({"prm_labels": PRM_LABEL_RULE} if fmt.name == "prm" else {}),
            "load_with": f'datasets.load_dataset("{"json" if file_type == "jsonl" else "parquet"}", '
                         f'data_files={{"train": "train.{file_type}", '
                         f'"validation": "validation.{file_type}"}})',
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(work, out_dir)
    except BaseException:
        for writer in writers.values():
            with contextlib.suppress(Exception):  # the original error is the one to report
                writer.close()
        shutil.rmtree(work, ignore_errors=True)
        raise
    if on_progress:
        on_progress(counts["read"], total)
    return manifest
