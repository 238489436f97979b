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
from apps.exports.formats import FORMATS, PRM_LABEL_RULE, PRM_TRAINER, SCHEMA_VERSION, Dropped
from apps.exports.manifest import code_version, sha256_of
from apps.exports.privacy import Privacy
from apps.exports.records import Record, Skipped
from apps.exports.splits import TRAIN, VALIDATION, split_of
from apps.exports.writers import WRITERS, DatasetWriter

MANIFEST = "manifest.json"
PROGRESS_EVERY = 1_000

Progress = Callable[[int, int | None], None]


def load_recipe(file_type: str, splits: list[str]) -> str:
    """The `datasets` call that loads the files written, naming only those that exist."""
    if not splits:
        return "nothing to load: no records were written (see warnings)"
    files = ", ".join(f'"{split}": "{split}.{file_type}"' for split in splits)
    return (f'datasets.load_dataset("{"json" if file_type == "jsonl" else "parquet"}", '
            f"data_files={{{files}}})")


class ExportError(Exception):
    """An export that cannot be made as asked (bad format, target in the way, ...)."""


def warnings_of(counts: dict, by_source: dict[str, dict], sources: Iterable[str],
                filters: ExportFilters) -> list[str]:
    """What a person must know before training on this export: empty splits, and which source
    gave nothing and why."""
    out = []
    for source in sources:
        seen = by_source.get(source, {})
        if seen.get("written"):
            continue
        dropped = sorted(seen.get("dropped", {}).items(), key=lambda item: -item[1])
        reasons = [f"{n} {why}" for why, n in dropped]
        if seen.get("filtered_out"):
            by = ", ".join(filters.to_json()) or "filters"
            reasons.append(f"{seen['filtered_out']} filtered out by {by}")
        if seen.get("excluded_opted_out"):
            reasons.append(f"{seen['excluded_opted_out']} of students who opted out")
        out.append(f"source {source}: 0 records written"
                   + (f" of {seen.get('read', 0)} read ({'; '.join(reasons)})" if seen.get("read")
                      else " (it has no rows matching the filters)"))
    total = counts[TRAIN] + counts[VALIDATION]
    if total == 0:
        out.insert(0, "the export is empty: no records were written")
    else:
        for split in (TRAIN, VALIDATION):
            if counts[split] == 0 and (split == TRAIN or filters.validation_fraction > 0):
                out.append(f"the {split} split is empty ({total} records, validation_fraction "
                           f"{filters.validation_fraction}, split by group)")
    return out


def write_dataset(records: Iterable[Record | Skipped], *, format_name: str, file_type: str,
                  out_dir: Path, filters: ExportFilters, privacy: Privacy, total: int | None = None,
                  on_progress: Progress | None = None, about: dict | None = None,
                  sources: Iterable[str] = ()) -> dict:
    """Write `records` as one dataset into `out_dir` (which must not exist yet); return the manifest.

    `sources` are the sources asked for: each that writes nothing gets a warning saying why.
    """
    fmt = FORMATS.get(format_name)
    if fmt is None:
        raise ExportError(f"unknown format {format_name!r}; choose one of {', '.join(FORMATS)}")
    if file_type not in WRITERS:
        raise ExportError(f"unknown file type {file_type!r}; choose one of {', '.join(WRITERS)}")
    if file_type not in fmt.file_types:
        raise ExportError(f"{fmt.name} is written as {' or '.join(fmt.file_types)} only, "
                          f"not {file_type}")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ExportError(f"{out_dir} already exists and is not empty")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    writers: dict[str, DatasetWriter] = {}
    counts = {"read": 0, "filtered_out": 0, "excluded_opted_out": 0, "unusable": 0,
              TRAIN: 0, VALIDATION: 0, "dropped": {}}
    by_source: dict[str, dict] = {}

    def tally(source_counts: dict, key: str, reason: str = "") -> None:
        for bucket in (counts, source_counts):
            if reason:
                bucket["dropped"][reason] = bucket["dropped"].get(reason, 0) + 1
            else:
                bucket[key] = bucket.get(key, 0) + 1

    try:
        for record in records:
            counts["read"] += 1
            if on_progress and counts["read"] % PROGRESS_EVERY == 0:
                on_progress(counts["read"], total)
            meta = record.meta
            seen = by_source.setdefault(meta.source, {"read": 0, "written": 0, "dropped": {}})
            seen["read"] += 1
            if privacy.excludes(meta.learner_id):
                tally(seen, "excluded_opted_out")
                continue
            if isinstance(record, Skipped):  # before the filters: it has no provenance to match
                counts["unusable"] += 1
                tally(seen, "", record.reason)
                continue
            if not filters.admits(meta):
                tally(seen, "filtered_out")
                continue
            if not isinstance(record, fmt.reads):
                raise ExportError(f"format {fmt.name} reads {fmt.reads.__name__} records, "
                                  f"a source gave {type(record).__name__}")
            row = fmt.build(record, privacy)
            if isinstance(row, Dropped):
                counts["unusable"] += 1
                tally(seen, "", row.reason)
                continue
            split = split_of(meta.conversation_id, seed=filters.seed,
                             validation_fraction=filters.validation_fraction)
            if split not in writers:
                writers[split] = WRITERS[file_type](work / f"{split}.{file_type}", fmt.schema)
            writers[split].write(row)
            counts[split] += 1
            seen["written"] += 1
        for writer in writers.values():
            writer.close()
        manifest = {
            **(about or {}),
            "format": fmt.name, "description": fmt.description, "file_type": file_type,
            "schema_version": SCHEMA_VERSION, "code_version": code_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "filters": filters.to_json(),
            "split": {"by": "conversation for dialogues, problem for lab runs", "seed": filters.seed,
                      "validation_fraction": filters.validation_fraction},
            "counts": counts,
            "by_source": by_source,
            "empty": counts[TRAIN] + counts[VALIDATION] == 0,
            "warnings": warnings_of(counts, by_source, list(sources) or sorted(by_source), filters),
            "files": [{"name": w.path.name, "split": split, "records": w.rows,
                       "bytes": w.path.stat().st_size, "sha256": sha256_of(w.path)}
                      for split, w in sorted(writers.items())],
            "privacy": privacy_rule.RULE,
            **({"prm_labels": PRM_LABEL_RULE, "prm_trainer": PRM_TRAINER} if fmt.name == "prm" else {}),
            "load_with": load_recipe(file_type, sorted(writers)),
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
