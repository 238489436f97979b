from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts.permissions import role_required
from apps.lab import charts, evaluations, selectors, services
from apps.lab.forms import AtlasLaunchForm, EvaluationForm, LeapLaunchForm
from apps.lab.models import Experiment

FORMS = {"atlas": AtlasLaunchForm, "leap": LeapLaunchForm}


@role_required("admin")
def experiment_list(request):
    return render(request, "lab/experiment_list.html", {
        "experiments": selectors.experiments()[:100],
        "atlas_form": AtlasLaunchForm(prefix="atlas"), "leap_form": LeapLaunchForm(prefix="leap")})


@role_required("admin")
@require_POST
def launch(request, kind: str):
    if kind not in FORMS:
        raise Http404("No such kind of run.")
    form = FORMS[kind](request.POST, prefix=kind)
    if not form.is_valid():
        context = {"experiments": selectors.experiments()[:100],
                   "atlas_form": AtlasLaunchForm(prefix="atlas"), "leap_form": LeapLaunchForm(prefix="leap"),
                   f"{kind}_form": form}
        return render(request, "lab/experiment_list.html", context, status=400)
    with transaction.atomic():
        experiment = services.create_experiment(kind, form.params(), request.user)
        services.launch(experiment)
    messages.success(request, f"{experiment} queued: {experiment.total} problems.")
    return redirect("experiment_detail", experiment.pk)


@role_required("admin")
def experiment_detail(request, experiment_id: int):
    experiment = get_object_or_404(Experiment, pk=experiment_id)
    page = selectors.atlas_page(experiment) if experiment.kind == "atlas" else selectors.leap_page(experiment)
    return render(request, f"lab/{experiment.kind}_detail.html",
                  {"experiment": experiment, "report": selectors.live_report(experiment), **page})


@role_required("admin")
def experiment_progress(request, experiment_id: int):
    experiment = get_object_or_404(Experiment, pk=experiment_id)
    response = render(request, "lab/partials/_progress.html", {"experiment": experiment})
    if request.htmx and experiment.finished:
        response["HX-Refresh"] = "true"  # reload once so the results show; the new page stops polling
    return response


def _run_or_404(run_id: str | None, default):
    if not run_id:
        return default
    if not run_id.isdigit():
        raise Http404("No such evaluation run.")
    return get_object_or_404(selectors.evaluation_runs(), pk=int(run_id))


@role_required("admin")
def evaluation_list(request, form: EvaluationForm | None = None):
    runs = list(selectors.evaluation_runs()[:50])
    default_a, default_b = selectors.default_comparison()
    a = _run_or_404(request.GET.get("a"), default_a)
    b = _run_or_404(request.GET.get("b"), default_b)
    reports = [selectors.live_evaluation_report(run) for run in (a, b) if run is not None]
    return render(request, "lab/evaluations.html", {
        "runs": runs, "a": a, "b": b, "chart": charts.curve_chart(reports), "reports": reports,
        "rows": selectors.side_by_side(a, b), "form": form or EvaluationForm(),
        "running": any(r.in_progress for r in runs)}, status=400 if form else 200)


@require_POST
@role_required("admin")
def start_evaluation(request):
    form = EvaluationForm(request.POST)
    if form.is_valid():
        try:
            run = evaluations.start_evaluation(
                dataset=form.dataset_path(), tutor=form.cleaned_data["tutor"],
                engine=form.cleaned_data["engine"], limit=form.cleaned_data["limit"],
                k_max=form.cleaned_data["k_max"], user=request.user)
        except evaluations.EvaluationError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(f"{reverse('evaluation_list')}?a={run.pk}")
    return evaluation_list(request, form=form)


@role_required("admin")
def evaluation_progress(request):
    runs = list(selectors.evaluation_runs()[:50])
    return render(request, "lab/partials/_evaluation_runs.html", {
        "runs": runs, "running": any(r.in_progress for r in runs)})
