"""Launch forms for lab runs and tutor evaluations; the shell commands validate their options
through them too."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings

from agents.atlas.probe import PROBES
from agents.datasets import DatasetError
from agents.eval.tutor_eval import TUTORS
from agents.graphs.leap import PROMPT_STYLES, LeapConfig, estimate_tokens, fit_to_context, render_prompt
from agents.graphs.routing import ROUTERS
from agents.llm import ENGINES
from apps.lab.datasets import dataset_choices, load_items, resolve

ENGINE_CHOICES = [(e, e) for e in ENGINES]
MAX_PROBLEMS = 1319
# frozen: memory is used but never updated (the paper's frozen-pamphlet ablation); shadow: it
# is updated but never injected; live: both (upstream's apply_to_prompts / update_enabled)
MEMORY_MODES = {"live": (True, True), "frozen": (True, False), "shadow": (False, True)}
ROLES = ("student", "teacher", "probe", "judge", "memory")
# a long GSM8K problem, for the prompt side of the context budget
BUDGET_PROBLEM = "x" * 900


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
            except DatasetError as exc:
                where = resolve(data["dataset"]).parent
                raise forms.ValidationError(
                    f"dataset {data['dataset']} (in {where}): {exc.reason}") from exc
            data["items"] = items
        return data

    def params(self) -> dict:
        """The experiment's parameters (JSON-ready)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "items"}


class AtlasLaunchForm(_LaunchForm):
    student_engine = forms.ChoiceField(choices=ENGINE_CHOICES, initial="embedded")
    teacher_engine = forms.ChoiceField(choices=ENGINE_CHOICES, initial="embedded")
    max_attempts = forms.IntegerField(min_value=1, max_value=4, initial=2,
                                      help_text="Also the self-retry baseline's attempt budget.")
    student_tokens = forms.IntegerField(min_value=16, max_value=4096, initial=256)
    teacher_tokens = forms.IntegerField(min_value=16, max_value=4096, initial=128)
    probe = forms.ChoiceField(choices=[(p, p) for p in PROBES], initial="llm",
                              help_text="llm: upstream's capability probe; rules: our fixed rule "
                                        "set. The other one decides on the same history too.")
    memory = forms.ChoiceField(choices=[(m, m) for m in MEMORY_MODES], initial="live",
                               help_text="frozen: use the key's memory, never update it; shadow: "
                                         "update it, never inject it.")
    key = forms.CharField(max_length=200, required=False,
                          help_text="A learning key to continue (e.g. a trained one for a frozen "
                                    "run); blank: a new key for this run.")
    oracle_arm = forms.BooleanField(required=False, initial=False,
                                    label="also run the oracle arm",
                                    help_text="The old gate (the checker with the gold answer "
                                              "validates in-session), on its own key.")
    prices = forms.CharField(required=False, max_length=300,
                             help_text="USD per million prompt/completion tokens by role, e.g. "
                                       "student=0.25/2, teacher=1.25/10; blank: local, cost 0.")

    def clean_prices(self) -> dict:
        text, prices = self.cleaned_data.get("prices", "").strip(), {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            role, _, pair = part.partition("=")
            prompt, _, completion = pair.partition("/")
            try:
                prices[role.strip()] = [float(prompt), float(completion)]
            except ValueError:
                raise forms.ValidationError(f"{part!r}: write role=prompt/completion, e.g. "
                                            "student=0.25/2") from None
            if role.strip() not in ROLES:
                raise forms.ValidationError(f"{role.strip()!r} is not a role; use "
                                            f"{', '.join(ROLES)}")
        return prices


class LeapLaunchForm(_LaunchForm):
    engine = forms.ChoiceField(choices=ENGINE_CHOICES, initial="embedded")
    paths = forms.IntegerField(label="paths (N)", min_value=2, max_value=16, initial=4)
    context_tokens = forms.IntegerField(label="engine context (tokens)", min_value=512,
                                        max_value=131072, initial=4096,
                                        help_text="Summary length, T and rounds are fitted to it.")
    every = forms.IntegerField(label="tokens between exchanges (T)", min_value=8, max_value=8192,
                               initial=2048, help_text="Upstream's scripts: 2048; shrunk to fit.")
    top_k = forms.IntegerField(label="peers per path (k)", min_value=1, max_value=15, initial=2)
    router = forms.ChoiceField(choices=[(r, r) for r in ROUTERS], initial="dispersed")
    rounds = forms.IntegerField(min_value=1, max_value=8, initial=5,
                                help_text="Upstream's scripts: 5 turns; shrunk to fit.")
    summary_tokens = forms.IntegerField(label="summary tokens", min_value=16, max_value=512,
                                        initial=256, help_text="Upstream: 256; shrunk to fit.")
    prompt_style = forms.ChoiceField(choices=[(p, p) for p in PROMPT_STYLES], initial="upstream",
                                     help_text="upstream: chat template, example summary and "
                                               "pre-filled preamble; plain: a text prompt.")
    trap_paths = forms.IntegerField(label="paths started from a wrong prefix", min_value=0,
                                    max_value=16, initial=0, required=False,
                                    help_text="The model's own wrong responses cut at 15% of "
                                              "their tokens, as the paper runs the trap.")
    trap_source = forms.ChoiceField(choices=[("own", "own wrong responses"),
                                             ("mathdial", "MathDial wrong solutions")],
                                    initial="own", required=False)

    def clean(self):
        data = super().clean()
        paths, top_k = data.get("paths"), data.get("top_k")
        if paths and top_k and top_k >= paths:
            self.add_error("top_k", f"k must be below the number of paths ({paths}).")
        trap = data.get("trap_paths") or 0
        data["trap_paths"] = trap
        if paths and trap > paths:
            self.add_error("trap_paths", f"at most {paths} paths can start from a wrong prefix.")
        data["trap_source"] = data.get("trap_source") or "own"
        if trap and data["trap_source"] == "mathdial" and "items" in data \
                and not any(i.wrong_prefix for i in data["items"]):
            self.add_error("trap_paths", "MathDial prefixes need a MathDial file (it has wrong "
                                         "solutions).")
        if not self.errors:
            self._fit(data)
        return data

    def _fit(self, data: dict) -> None:
        """Fit summary length, T and rounds to the engine's context; the note goes in the report."""
        config = LeapConfig(n_paths=data["paths"], every_tokens=data["every"], top_k=data["top_k"],
                            router=data["router"], max_rounds=data["rounds"],
                            summary_tokens=data["summary_tokens"],
                            prompt_style=data["prompt_style"])
        prompt = estimate_tokens(render_prompt(BUDGET_PROBLEM, style=config.prompt_style))
        fitted, note = fit_to_context(config, data["context_tokens"], prompt)
        data.update(every=fitted.every_tokens, rounds=fitted.max_rounds,
                    summary_tokens=fitted.summary_tokens, budget=note)


def mathdial_choices() -> list[tuple[str, str]]:
    """MathDial files shipped in the data folder; a browser never names an arbitrary path."""
    root = Path(settings.DATA_DIR)
    return [(str(p.relative_to(root)), str(p.relative_to(root)))
            for p in sorted(root.glob("mathdial/*.jsonl"))]


class EvaluationForm(forms.Form):
    """A tutor evaluation launched from the browser (the shell's `tutor_eval` has more options)."""

    dataset = forms.ChoiceField(choices=mathdial_choices)
    tutor = forms.ChoiceField(choices=[(t, t) for t in TUTORS])
    engine = forms.ChoiceField(choices=ENGINE_CHOICES, initial="embedded")
    limit = forms.IntegerField(min_value=1, max_value=500, initial=10,
                               help_text="dialogues drawn from the file (seeded)")
    k_max = forms.IntegerField(label="k", min_value=1, max_value=20, initial=5,
                               help_text="student turns after the first")

    def dataset_path(self) -> Path:
        return Path(settings.DATA_DIR) / self.cleaned_data["dataset"]
