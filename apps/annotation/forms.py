"""Forms at the edge: queue creation, and a label parsed from a posted form."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.core.exceptions import ValidationError

from agents.schema_fields import FieldSpec
from apps.accounts.models import User
from apps.annotation.models import AnnotationQueue, AnnotationSchema
from apps.annotation.schema_spec import schema_misfit
from apps.traces.models import Run


class QueueForm(forms.Form):
    name = forms.CharField(max_length=120)
    schema = forms.ModelChoiceField(AnnotationSchema.objects.all(), help_text="name and version")
    target = forms.ChoiceField(choices=[c for c in AnnotationQueue.Target.choices
                                        if c[0] != AnnotationQueue.Target.MRBENCH])
    since = forms.DateField(required=False, help_text="items created on or after",
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, help_text="items created on or before",
                            widget=forms.DateInput(attrs={"type": "date"}))
    move = forms.CharField(required=False, max_length=16, help_text="tutor turns: only this move")
    sources = forms.MultipleChoiceField(choices=Run.Source.choices, required=False,
                                        widget=forms.CheckboxSelectMultiple,
                                        help_text="traced runs: sources (default ATLAS and LeaP)")
    engine = forms.CharField(required=False, max_length=40, help_text="traced runs: only this engine")
    limit = forms.IntegerField(min_value=1, max_value=5000, initial=200)
    annotators = forms.ModelMultipleChoiceField(User.objects.filter(role="annotator").order_by("username"),
                                                widget=forms.CheckboxSelectMultiple)
    lead = forms.ModelChoiceField(User.objects.filter(role="annotator").order_by("username"),
                                  required=False, help_text="may adjudicate this queue")
    n_per_item = forms.IntegerField(min_value=1, max_value=10, initial=2, label="Annotators per item")
    blind = forms.BooleanField(required=False, initial=True,
                               help_text="annotators do not see each other's labels")
    threshold = forms.FloatField(min_value=0, max_value=1, initial=0.0,
                                 help_text="adjudicate when the share of labels off the majority "
                                           "exceeds this on some field")
    reservation_minutes = forms.IntegerField(min_value=1, max_value=240, initial=10)

    def clean_name(self):
        name = self.cleaned_data["name"]
        if AnnotationQueue.objects.filter(name=name).exists():
            raise ValidationError("a queue with this name exists; choose another name")
        return name

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "must be on or after since")
        if data.get("annotators") is not None and data.get("n_per_item") and \
                len(data["annotators"]) < data["n_per_item"]:
            self.add_error("annotators", f"choose at least {data['n_per_item']} annotators "
                                         "(one per label wanted on each item)")
        if data.get("schema") and data.get("target"):
            misfit = schema_misfit(data["schema"].specs, data["target"])
            if misfit:
                self.add_error("schema", misfit)
        return data

    def queue_filter(self) -> dict:
        data = self.cleaned_data
        out = {k: str(data[k]) for k in ("since", "until") if data.get(k)}
        out.update({k: data[k] for k in ("move", "engine", "sources", "limit") if data.get(k)})
        return out


def value_from_post(fields: Sequence[FieldSpec], post, n_steps: int) -> dict:
    """A label from form data, values as the schema defines them (step values as integers)."""
    value = {}
    for field in fields:
        name = field.name
        if field.kind == "text":
            value[name] = post.get(name, "").strip()
        elif field.kind == "steps":
            steps = []
            for i in range(n_steps):
                raw = post.get(f"{name}_{i}")
                try:
                    steps.append(int(raw))
                except (TypeError, ValueError):
                    steps.append(None)
            value[name] = steps
        else:
            raw = post.get(name)
            # posted values are strings; map back to the option itself (options may be numbers)
            value[name] = next((o for o in field.options if str(o) == raw), raw)
    return value
