"""The export form: the format, the file type and every filter, validated in one place.

The web page and `manage.py export_dataset` both go through it, so both give the same messages.
"""

from __future__ import annotations

from django import forms

from apps.accounts.models import Classroom
from apps.exports.filters import SOURCES, ExportFilters
from apps.exports.formats import FORMATS
from apps.exports.models import Export
from apps.exports.pipeline import ExportError
from apps.exports.services import check_exportable

FILTER_FIELDS = ("sources", "date_from", "date_to", "classroom", "schema", "min_agreement",
                 "adjudicated_only", "min_rating", "max_rating", "engine", "model",
                 "validation_fraction", "seed")


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(f.name, f.description) for f in FORMATS.values()])
    file_type = forms.ChoiceField(choices=Export.FileType.choices, initial="jsonl")
    sources = forms.MultipleChoiceField(choices=[(s, s) for s in SOURCES], required=False,
                                        widget=forms.CheckboxSelectMultiple,
                                        help_text="None ticked: every source that has such records.")
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    classroom = forms.ModelChoiceField(queryset=Classroom.objects.select_related("school"),
                                       required=False)
    schema = forms.CharField(required=False, max_length=100, help_text="annotation schema name")
    min_agreement = forms.FloatField(required=False, min_value=-1, max_value=1)
    adjudicated_only = forms.BooleanField(required=False)
    min_rating = forms.FloatField(required=False)
    max_rating = forms.FloatField(required=False)
    engine = forms.CharField(required=False, max_length=40)
    model = forms.CharField(required=False, max_length=200)
    validation_fraction = forms.FloatField(initial=0.1, min_value=0, max_value=0.5, required=False)
    seed = forms.IntegerField(initial=0, min_value=0, required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "must be on or after date_from")
        low, high = data.get("min_rating"), data.get("max_rating")
        if low is not None and high is not None and low > high:
            self.add_error("max_rating", "must be at least min_rating")
        if not self.errors:
            try:
                check_exportable(data["format"], data["file_type"], self.export_filters())
            except ExportError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data

    def export_filters(self) -> ExportFilters:
        data = self.cleaned_data
        fraction = data.get("validation_fraction")
        return ExportFilters(
            sources=tuple(data.get("sources") or ()), date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            classroom=data["classroom"].pk if data.get("classroom") else None,
            schema=data.get("schema") or "", min_agreement=data.get("min_agreement"),
            adjudicated_only=bool(data.get("adjudicated_only")), min_rating=data.get("min_rating"),
            max_rating=data.get("max_rating"), engine=data.get("engine") or "",
            model=data.get("model") or "", validation_fraction=0.1 if fraction is None else fraction,
            seed=data.get("seed") or 0)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="what the token is for, e.g. 'training box'")
