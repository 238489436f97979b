"""The lab launches from a fresh clone: its datasets are read from the repo's data/ folder, and a
missing file is named once, in words."""

import pytest
from django.conf import settings

from apps.lab.forms import AtlasLaunchForm, LeapLaunchForm
from tests.conftest import DATA

pytestmark = pytest.mark.django_db


def defaults(form_class, prefix: str, **given) -> dict:
    """The launch form as posted with its initial values, and `given` on top."""
    fields = form_class(prefix=prefix).fields
    values = {name: field.initial for name, field in fields.items() if field.initial is not None}
    return {f"{prefix}-{name}": str(value) for name, value in (values | given).items()
            if value is not False}


def test_lab_datasets_default_to_the_repos_data_folder():
    assert str(DATA) == settings.LAB_DATA_DIR
    atlas = AtlasLaunchForm(defaults(AtlasLaunchForm, "atlas", dataset="gsm8k/test.jsonl", limit=2,
                                     student_engine="scripted", teacher_engine="scripted"),
                            prefix="atlas")
    assert atlas.is_valid(), atlas.errors
    leap = LeapLaunchForm(defaults(LeapLaunchForm, "leap", dataset="mathdial/dev.jsonl", limit=1,
                                   engine="scripted"), prefix="leap")
    assert leap.is_valid(), leap.errors


def test_a_missing_dataset_is_named_once_with_what_is_wrong(settings, tmp_path):
    settings.LAB_DATA_DIR = str(tmp_path)
    form = AtlasLaunchForm(defaults(AtlasLaunchForm, "atlas", dataset="gsm8k/test.jsonl", limit=2),
                           prefix="atlas")
    assert not form.is_valid()
    [message] = form.non_field_errors()
    folder = tmp_path / "gsm8k"
    assert message == f"dataset gsm8k/test.jsonl (in {folder}): cannot read file: there is no such file"
    assert message.count(str(tmp_path)) == 1
