from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.models import Classroom
from apps.accounts.permissions import role_required
from apps.lab import learners, selectors, services
from apps.lab.forms import AtlasLaunchForm, LeapLaunchForm
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


@role_required("teacher")
def classroom_lanes(request, classroom_id: int):
    classroom = get_object_or_404(Classroom, pk=classroom_id)
    if not request.user.is_admin and classroom.teacher_id != request.user.pk:
        raise Http404("No such classroom.")
    students = list(classroom.students.order_by("username"))
    lanes = learners.learner_lanes(students)
    return render(request, "lab/classroom_lanes.html", {
        "classroom": classroom, "rows": [(s, lanes[s.pk]) for s in students],
        "scaffolding": learners.SCAFFOLDING})
