"""Splits by conversation, the manifest, filters on metadata, and nothing half-written on failure."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest

from apps.exports.filters import ExportFilters
from apps.exports.pipeline import ExportError, write_dataset
from apps.exports.privacy import Privacy
from apps.exports.splits import split_of
from tests.exports.conftest import WHEN, conversation, pair, steps


def test_every_record_of_a_conversation_lands_in_the_same_split(tmp_path):
    privacy = Privacy()
    records = [pair(conv) for conv in range(200) for _ in range(3)]
    write_dataset(records, format_name="dpo", file_type="jsonl", out_dir=tmp_path / "out",
                  filters=ExportFilters(validation_fraction=0.25, seed=3), privacy=privacy)
    where: dict[str, set[str]] = {}
    for split in ("train", "validation"):
        for line in (tmp_path / "out" / f"{split}.jsonl").open():
            where.setdefault(json.loads(line)["conversation"], set()).add(split)
    assert len(where) == 200 and all(len(splits) == 1 for splits in where.values())
    validation = sum(1 for splits in where.values() if "validation" in splits)
    assert 25 <= validation <= 75  # about a quarter of the conversations


def test_split_is_deterministic_per_seed():
    ids = [f"tutoring-{i}" for i in range(500)]
    first = [split_of(i, seed=1, validation_fraction=0.1) for i in ids]
    assert first == [split_of(i, seed=1, validation_fraction=0.1) for i in ids]
    assert first != [split_of(i, seed=2, validation_fraction=0.1) for i in ids]
    assert {split_of(i, seed=1, validation_fraction=0) for i in ids} == {"train"}


def test_manifest_lists_filters_counts_versions_and_checksums(tmp_path):
    filters = ExportFilters(sources=("tutoring",), validation_fraction=0.5, seed=9)
    manifest = write_dataset([steps(i) for i in range(50)], format_name="prm", file_type="parquet",
                             out_dir=tmp_path / "out", filters=filters, privacy=Privacy(),
                             about={"export_id": 12})
    on_disk = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["export_id"] == 12 and manifest["schema_version"] == "2"
    assert manifest["code_version"].startswith(("git:", "tutorgraph==")) and manifest["prm_labels"]
    assert manifest["filters"] == {"sources": ["tutoring"], "validation_fraction": 0.5, "seed": 9}
    assert manifest["split"]["by"] == "conversation for dialogues, problem for lab runs"
    counts = manifest["counts"]
    assert counts["train"] + counts["validation"] == 50
    for entry in manifest["files"]:
        data = (tmp_path / "out" / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
        assert entry["records"] == counts[entry["split"]]


def test_filters_read_the_metadata(tmp_path):
    records = [
        conversation(1, source="tutoring"), conversation(2, source="evaluation"),
        conversation(3, classroom_id=7), conversation(4, created_at=WHEN - timedelta(days=40)),
        conversation(5, agreement=0.9, adjudicated=True, schema="moves-v1", rating=4.0,
                     engine="vllm", model="qwen"),
        conversation(6, agreement=0.3, rating=2.0),
    ]

    def kept(**kw) -> set[str]:
        filters = ExportFilters(validation_fraction=0, **kw)
        return {r.meta.conversation_id for r in records if filters.admits(r.meta)}

    assert kept(sources=("evaluation",)) == {"2"}
    assert kept(classroom=7) == {"3"}
    assert kept(date_from=date(2026, 3, 1), date_to=date(2026, 3, 2)) == {"1", "2", "3", "5", "6"}
    assert kept(date_to=date(2026, 2, 1)) == {"4"}
    assert kept(min_agreement=0.5) == {"5"}
    assert kept(adjudicated_only=True) == {"5"} == kept(schema="moves-v1")
    assert kept(min_rating=3) == {"5"} and kept(max_rating=3) == {"6"}
    assert kept(engine="vllm", model="qwen") == {"5"}


def failing_source(n_before_failure: int):
    for i in range(n_before_failure):
        yield conversation(i)
    raise RuntimeError("database went away")


@pytest.mark.parametrize("file_type", ["jsonl", "parquet"])
def test_a_failure_midway_leaves_no_directory_and_no_partial_files(tmp_path, file_type):
    with pytest.raises(RuntimeError, match="database went away"):
        write_dataset(failing_source(5000), format_name="sft", file_type=file_type,
                      out_dir=tmp_path / "out", filters=ExportFilters(), privacy=Privacy())
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_write_into_a_non_empty_directory(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="already exists and is not empty"):
        write_dataset([conversation(1)], format_name="sft", file_type="jsonl", out_dir=tmp_path / "out",
                      filters=ExportFilters(), privacy=Privacy())
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_unknown_format_and_file_type_are_named_in_the_error(tmp_path):
    with pytest.raises(ExportError, match="unknown format 'orpo'; choose one of sft, dpo"):
        write_dataset([], format_name="orpo", file_type="jsonl", out_dir=tmp_path / "a",
                      filters=ExportFilters(), privacy=Privacy())
    with pytest.raises(ExportError, match="unknown file type 'csv'"):
        write_dataset([], format_name="sft", file_type="csv", out_dir=tmp_path / "a",
                      filters=ExportFilters(), privacy=Privacy())
