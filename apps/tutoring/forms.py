"""Forms of tutoring pages."""

from pathlib import Path

from django import forms
from django.conf import settings

from agents.eval.tutor_eval import TUTORS
from agents.llm import ENGINES


def dataset_choices() -> list[tuple[str, str]]:
    """MathDial files shipped in the data folder; a browser never names an arbitrary path."""
    root = Path(settings.DATA_DIR)
    return [(str(p.relative_to(root)), str(p.relative_to(root)))
            for p in sorted(root.glob("mathdial/*.jsonl"))]


class EvaluationForm(forms.Form):
    dataset = forms.ChoiceField(choices=dataset_choices)
    tutor = forms.ChoiceField(choices=[(t, t) for t in TUTORS])
    engine = forms.ChoiceField(choices=[(e, e) for e in ENGINES], initial="embedded")
    limit = forms.IntegerField(min_value=1, max_value=500, initial=10,
                               help_text="dialogues drawn from the file (seeded)")
    k_max = forms.IntegerField(label="k", min_value=1, max_value=20, initial=5,
                               help_text="student turns after the first")

    def dataset_path(self) -> Path:
        return Path(settings.DATA_DIR) / self.cleaned_data["dataset"]
