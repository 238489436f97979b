from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.accounts.permissions import role_required
from apps.classroom import selectors, services
from apps.classroom.alerts import alerts_for
from apps.classroom.forms import ClassroomSettingsForm, PeriodForm
from apps.learners.selectors import SCAFFOLDING, learner_lanes
from apps.problems.detections import top_detection

CELL_TURNS_PER_PAGE = 50


def _classroom(request, classroom_id: int):
    classroom = selectors.classroom_for(request.user, classroom_id)
    if classroom is None:
        raise Http404("No such class.")
    return classroom


@role_required("teacher")
def classroom_list(request):
    return render(request, "classroom/classroom_list.html",
                  {"classrooms": selectors.classrooms_for(request.user)})


@role_required("teacher")
def dashboard(request, classroom_id: int):
    classroom = _classroom(request, classroom_id)
    period = PeriodForm(request.GET or None)
    since, until = period.bounds()
    rows = selectors.student_rows(classroom)
    return render(request, "classroom/dashboard.html", {
        "classroom": classroom, "rows": rows, "period": period,
        "skills": sorted({skill for row in rows for skill in row.lanes}),
        "heatmap": selectors.misconception_heatmap(classroom, since, until),
        "period_query": request.GET.urlencode(),
    })


@role_required("teacher")
def lanes(request, classroom_id: int):
    classroom = _classroom(request, classroom_id)
    students = list(classroom.students.order_by("username"))
    by_student = learner_lanes(students)
    return render(request, "classroom/lanes.html", {
        "classroom": classroom, "rows": [(s, by_student[s.pk]) for s in students],
        "scaffolding": SCAFFOLDING})


@role_required("teacher")
def heatmap_cell(request, classroom_id: int):
    classroom = _classroom(request, classroom_id)
    period = PeriodForm(request.GET)
    since, until = period.bounds()
    key, student_id = request.GET.get("misconception", ""), request.GET.get("student", "")
    if not key or not student_id.isdigit():
        raise Http404("Pick a cell of the heatmap.")
    student = get_object_or_404(User, pk=int(student_id), classrooms=classroom)
    turns = selectors.heatmap_cell_turns(classroom, key, student.pk, since, until)
    page = Paginator(turns, CELL_TURNS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    cells = [(turn, top_detection(turn)) for turn in page]
    return render(request, "classroom/heatmap_cell.html", {
        "classroom": classroom, "student": student, "key": key, "page": page, "cells": cells,
        "query": query.urlencode(), "name": cells[0][1].name if cells else key})


@role_required("teacher")
def monitor(request, classroom_id: int):
    classroom = _classroom(request, classroom_id)
    sessions = selectors.active_sessions(classroom)
    return render(request, "classroom/monitor.html", {
        "classroom": classroom, "cards": [(s, alerts_for(s.turns.all())) for s in sessions],
        "active": selectors.active_session_count(classroom)})


@role_required("teacher")
def classroom_settings(request, classroom_id: int):
    classroom = _classroom(request, classroom_id)
    enrolments = selectors.enrolments_of(classroom)
    form = ClassroomSettingsForm(request.POST or None, instance=classroom)
    if request.method == "POST" and form.is_valid():
        consents = {e.student_id: f"consent-{e.student_id}" in request.POST for e in enrolments}
        changes = services.update_settings(classroom, request.user, form.cleaned_data, consents)
        messages.success(request, f"Saved ({len(changes)} change{'s' if len(changes) != 1 else ''}).")
        return redirect("classroom_settings", classroom_id=classroom.pk)
    return render(request, "classroom/settings.html",
                  {"classroom": classroom, "form": form, "enrolments": enrolments})


@role_required("teacher")
def learner(request, classroom_id: int, student_id: int):
    classroom = _classroom(request, classroom_id)
    student = selectors.learner_in(classroom, student_id)
    if student is None:
        raise Http404("No such student in this class.")
    return render(request, "classroom/learner.html", {
        "classroom": classroom, "page": selectors.learner_page(classroom, student)})


@role_required("teacher")
def alerts(request, classroom_id: int):
    classroom = _classroom(request, classroom_id)
    rows = selectors.class_alerts(classroom)
    by_session: dict[int, list] = {}
    for row in rows:
        if row.acknowledgement is None:
            by_session.setdefault(row.session.pk, []).append(row)
    return render(request, "classroom/alerts.html", {
        "classroom": classroom, "open": [(group[0].session, group) for group in by_session.values()],
        "seen": [r for r in rows if r.acknowledgement is not None],
        "window_days": selectors.ALERT_WINDOW_DAYS})


@require_POST
@role_required("teacher")
def acknowledge_alert(request, classroom_id: int):
    classroom = _classroom(request, classroom_id)
    try:
        session_id = int(request.POST.get("session", ""))
        services.acknowledge_alert(classroom, request.user, session_id,
                                   request.POST.get("kind", ""), request.POST.get("subject", ""))
    except ValueError:
        messages.error(request, "Which session? (the session id is missing)")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Alert acknowledged; it comes back if the student writes again.")
    return redirect("classroom_alerts", classroom_id=classroom.pk)
