"""Forms of the teacher's pages, with messages a teacher can act on."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from apps.accounts.models import Classroom
from apps.problems.models import Problem


class PeriodForm(forms.Form):
    """The period a heatmap covers: from the start of `since` to the end of `until`."""

    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("The start of the period must not be after its end.")
        return data

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        if not self.is_valid():
            return None, None
        tz = timezone.get_current_timezone()
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        return (datetime.combine(since, time.min, tz) if since else None,
                datetime.combine(until + timedelta(days=1), time.min, tz) if until else None)


class ClassroomSettingsForm(forms.ModelForm):
    allowed_problem_sources = forms.CharField(
        required=False, label="Allowed problem sets",
        help_text="Problem set prefixes, one per line (e.g. gsm8k/test); empty allows every set.",
        widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Classroom
        fields = ["telling_budget_turn", "allowed_problem_sources", "collect_candidate_pairs"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["allowed_problem_sources"] = "\n".join(
                self.instance.allowed_problem_sources or [])

    def clean_telling_budget_turn(self) -> int:
        value = self.cleaned_data["telling_budget_turn"]
        if not 1 <= value <= 50:
            raise forms.ValidationError("Choose a student turn between 1 and 50.")
        return value

    def clean_allowed_problem_sources(self) -> list[str]:
        prefixes = list(dict.fromkeys(
            line.strip() for line in self.cleaned_data["allowed_problem_sources"].splitlines()
            if line.strip()))
        unknown = [p for p in prefixes
                   if not Problem.objects.filter(source__startswith=p).exists()]
        if unknown:
            known = sorted(set(Problem.objects.values_list("source", flat=True)))[:20]
            raise forms.ValidationError(
                f"No problem set starts with {', '.join(unknown)}. Known sets: "
                f"{', '.join(known) or 'none imported yet'}.")
        return prefixes
