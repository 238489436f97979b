"""Point 4: filters match where provenance is stored, and an empty export or split says so and why."""

from __future__ import annotations

import pytest

from apps.exports.models import Export
from apps.tutoring.models import TutoringSession
from tests.exports.factories import evaluation_sessions, export, take_turns

pytestmark = pytest.mark.django_db


def test_engine_and_model_filters_find_evaluation_sessions_by_their_own_provenance(admin, tmp_path):
    evaluation_sessions(tmp_path, tutor="tutorgraph", k_max=2)
    for filters in ({"engine": "scripted"}, {"model": "scripted"},
                    {"engine": "scripted", "model": "scripted"}):
        done, rows = export(admin, "sft", sources=("evaluation",), **filters)
        assert rows["train"] and not done.manifest["empty"], filters


def test_engine_filter_keeps_live_turns_and_labels_by_the_engine_that_wrote_them(admin, alice, problem):
    from apps.annotation import services as annotation

    session = TutoringSession.objects.create(student=alice, problem=problem)
    take_turns(session, [("I added: 9", "Why did you add?")])
    annotation.record_feedback(session.turns.get(author="tutor"), alice, "up")
    for fmt in ("sft", "kto"):
        _, rows = export(admin, fmt, engine="scripted")
        assert len(rows["train"]) == 1, fmt


def test_an_empty_export_is_flagged_with_each_source_and_why(admin, tmp_path, client):
    evaluation_sessions(tmp_path, tutor="baseline", k_max=1)
    done, rows = export(admin, "sft", engine="vllm")
    manifest = done.manifest
    assert rows == {} and manifest["files"] == [] and manifest["empty"] is True
    assert manifest["warnings"][0] == "the export is empty: no records were written"
    for source in ("evaluation", "tutoring"):
        assert f"source {source}: 0 records written (it has no rows matching the filters)" in manifest[
            "warnings"]
    assert manifest["load_with"].startswith("nothing to load")
    client.force_login(admin)
    page = client.get(f"/exports/{done.pk}/").content.decode()
    assert "Nothing was exported." in page and "source evaluation: 0 records written" in page


def test_a_source_whose_every_record_is_dropped_says_why(admin, tmp_path):
    evaluation_sessions(tmp_path, tutor="baseline", k_max=1)
    done, _ = export(admin, "openai_chat", sources=("evaluation",), min_rating=1)
    (warning, *rest) = [w for w in done.manifest["warnings"] if w.startswith("source evaluation")]
    assert "filtered out by" in warning and "min_rating" in warning


def test_an_empty_split_is_flagged_and_the_recipe_names_only_files_written(admin, alice, problem):
    session = TutoringSession.objects.create(student=alice, problem=problem)
    take_turns(session, [("I added: 9", "Why did you add?")])
    done, rows = export(admin, "sft", validation_fraction=0.2)
    (split,) = rows
    empty = "validation" if split == "train" else "train"
    assert any(w.startswith(f"the {empty} split is empty") for w in done.manifest["warnings"])
    assert f'"{split}": "{split}.jsonl"' in done.manifest["load_with"]
    assert f"{empty}.jsonl" not in done.manifest["load_with"]
    assert Export.objects.get(pk=done.pk).files == [f"{split}.jsonl", "manifest.json"]
