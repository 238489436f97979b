"""Launch forms for lab runs; the shell commands validate their options through them too."""

from __future__ import annotations

from django import forms

from agents.graphs.routing import ROUTERS
from apps.lab.datasets import dataset_choices, load_items, resolve
from apps.problems.importers import ImportError_

ENGINES = ("embedded", "vllm", "openai", "scripted")
ENGINE_CHOICES = [(e, e) for e in ENGINES]
MAX_PROBLEMS = 1319


class _LaunchForm(forms.Form):
    dataset = forms.CharField(initial="gsm8k/test.jsonl",
                              help_text="A JSONL file: GSM8K (question, answer) or MathDial.")
    limit = forms.IntegerField(label="problems (N)", min_value=1, max_value=MAX_PROBLEMS, initial=10)

    def __init__(self, *args, free_path: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not free_path:  # the web form offers the known files only; the shell takes any path
            self.fields["dataset"] = forms.ChoiceField(choices=dataset_choices(), initial="gsm8k/test.jsonl")

    def clean(self):
        data = super().clean()
        if "dataset" in data and "limit" in data:
            try:
                items = load_items(data["dataset"], data["limit"])
            except ImportError_ as exc:
                where = resolve(data["dataset"]).parent
                raise forms.ValidationError(f"dataset {data['dataset']} (in {where}): {exc}") from exc
            data["items"] = items
        return data

    def params(self) -> dict:
        """The experiment's parameters (JSON-ready)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "items"}


class AtlasLaunchForm(_LaunchForm):
    student_engine = forms.ChoiceField(choices=ENGINE_CHOICES, initial="embedded")
    teacher_engine = forms.ChoiceField(choices=ENGINE_CHOICES, initial="embedded")
    max_attempts = forms.IntegerField(min_value=1, max_value=4, initial=2)
    student_tokens = forms.IntegerField(min_value=16, max_value=4096, initial=256)
    teacher_tokens = forms.IntegerField(min_value=16, max_value=4096, initial=128)


class LeapLaunchForm(_LaunchForm):
    engine = forms.ChoiceField(choices=ENGINE_CHOICES, initial="embedded")
    paths = forms.IntegerField(label="paths (N)", min_value=2, max_value=16, initial=4)
    every = forms.IntegerField(label="tokens between exchanges (T)", min_value=8, max_value=1024,
                               initial=128)
    top_k = forms.IntegerField(label="peers per path (k)", min_value=1, max_value=15, initial=2)
    router = forms.ChoiceField(choices=[(r, r) for r in ROUTERS], initial="hybrid")
    rounds = forms.IntegerField(min_value=1, max_value=8, initial=3)
    trap_paths = forms.IntegerField(label="paths started from a wrong prefix", min_value=0,
                                    max_value=16, initial=0, required=False,
                                    help_text="MathDial only: the start of the student's wrong solution.")

    def clean(self):
        data = super().clean()
        paths, top_k = data.get("paths"), data.get("top_k")
        if paths and top_k and top_k >= paths:
            self.add_error("top_k", f"k must be below the number of paths ({paths}).")
        trap = data.get("trap_paths") or 0
        data["trap_paths"] = trap
        if paths and trap > paths:
            self.add_error("trap_paths", f"at most {paths} paths can start from a wrong prefix.")
        if trap and "items" in data and not any(i.wrong_prefix for i in data["items"]):
            self.add_error("trap_paths", "prefix traps need a MathDial file (it has wrong solutions).")
        return data
