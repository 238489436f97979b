"""The lab launches from a fresh clone: its datasets are read from the repo's data/ folder, and a
missing file is named once, in words."""

import pytest
from django.conf import settings

from apps.lab.forms import AtlasLaunchForm, LeapLaunchForm
from tests.conftest import DATA

pytestmark = pytest.mark.django_db

ATLAS = {"atlas-dataset": "gsm8k/test.jsonl", "atlas-limit": "2", "atlas-student_engine": "scripted",
         "atlas-teacher_engine": "scripted", "atlas-max_attempts": "2",
         "atlas-student_tokens": "128", "atlas-teacher_tokens": "64"}


def test_lab_datasets_default_to_the_repos_data_folder():
    assert str(DATA) == settings.LAB_DATA_DIR
    form = AtlasLaunchForm(ATLAS, prefix="atlas")
    assert form.is_valid(), form.errors
    leap = LeapLaunchForm({"leap-dataset": "mathdial/dev.jsonl", "leap-limit": "1",
                           "leap-engine": "scripted", "leap-paths": "2", "leap-every": "16",
                           "leap-top_k": "1", "leap-router": "hybrid", "leap-rounds": "1"},
                          prefix="leap")
    assert leap.is_valid(), leap.errors


def test_a_missing_dataset_is_named_once_with_what_is_wrong(settings, tmp_path):
    settings.LAB_DATA_DIR = str(tmp_path)
    form = AtlasLaunchForm(ATLAS, prefix="atlas")
    assert not form.is_valid()
    [message] = form.non_field_errors()
    folder = tmp_path / "gsm8k"
    assert message == f"dataset gsm8k/test.jsonl (in {folder}): cannot read file: there is no such file"
    assert message.count(str(tmp_path)) == 1
