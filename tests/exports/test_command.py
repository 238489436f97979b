"""manage.py export_dataset: the same validation as the page, an export written to --out."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import AuditEvent
from apps.exports.models import Export
from tests.exports.conftest import load
from tests.exports.factories import tutoring_session

pytestmark = pytest.mark.django_db


def test_exports_to_the_directory_and_records_it(alice, problem, classroom, tmp_path, capsys, hf_cache):
    for _ in range(4):
        tutoring_session(alice, problem, classroom=classroom)
    out = tmp_path / "sft"
    call_command("export_dataset", "--format", "sft", "--file-type", "parquet",
                 "--filter", "source=tutoring,evaluation", "--filter", f"classroom={classroom.pk}",
                 "--filter", "validation_fraction=0", "--out", str(out))
    assert "4 train, 0 validation" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["filters"]["classroom"] == classroom.pk
    assert len(load(manifest, out, hf_cache)["train"]) == 4
    export = Export.objects.get()
    assert export.directory == str(out) and export.created_by is None
    assert AuditEvent.objects.filter(action="export.requested", details__via="shell").exists()


@pytest.mark.parametrize("args, message", [
    (["--format", "orpo"], "format: Select a valid choice. orpo is not one of"),
    (["--format", "sft", "--filter", "colour=blue"], "--filter 'colour=blue': expected KEY=VALUE"),
    (["--format", "sft", "--filter", "min_agreement=high"], "min_agreement: Enter a number."),
    (["--format", "sft", "--filter", "source=moodle"], "sources: Select a valid choice. moodle"),
    (["--format", "kto", "--filter", "source=atlas"],
     "no source provides BinaryFeedback records for kto from atlas"),
    (["--format", "sft", "--user", "alice"], "'alice' is not an admin"),
])
def test_bad_arguments_get_a_clear_error_and_write_nothing(tmp_path, alice, args, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.").replace("(", r"\(")):
        call_command("export_dataset", *args, "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists() and not Export.objects.exists()


def test_refuses_a_non_empty_out_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("keep")
    with pytest.raises(CommandError, match="already exists and is not an empty directory"):
        call_command("export_dataset", "--format", "sft", "--out", str(tmp_path))
