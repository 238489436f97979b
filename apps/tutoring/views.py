from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts.permissions import role_required
from apps.annotation.selectors import thumbs_given
from apps.tutoring import charts, evaluations, selectors, services
from apps.tutoring.forms import EvaluationForm


@role_required("student", "teacher")
def problem_list(request):
    problems = selectors.problems_for(request.user)[:200]
    sessions = list(selectors.sessions_visible_to(request.user)[:50])
    return render(request, "tutoring/problem_list.html", {
        "problems": problems,
        "open_sessions": [s for s in sessions if s.status == s.Status.ACTIVE],
        "finished_sessions": [s for s in sessions if s.status != s.Status.ACTIVE]})


@require_POST
@role_required("student")
def start_session(request, problem_id: int):
    problem = get_object_or_404(selectors.problems_for(request.user), pk=problem_id)
    session = services.start_session(request.user, problem)
    return redirect("session_detail", session_id=session.pk)


@role_required("student", "teacher")
def session_detail(request, session_id: int):
    session = selectors.session_for(request.user, session_id)
    if session is None:
        raise Http404("No such session.")
    turns = selectors.turns_of(session)
    thumbs = thumbs_given(request.user, [t.pk for t in turns])
    for turn in turns:  # the feedback partial shows a thumbs already given as given
        turn.rated = thumbs.get(turn.pk, "")
    return render(request, "tutoring/session.html", {
        "session": session, "turns": turns,
        "can_write": selectors.can_write(request.user, session),
        "next_problem": (selectors.next_problem_for(session.student, session)
                         if session.status == session.Status.SOLVED else None),
    })


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
    reports = [selectors.run_report(run) for run in (a, b) if run is not None]
    return render(request, "tutoring/evaluations.html", {
        "runs": runs, "a": a, "b": b, "chart": charts.curve_chart(reports), "reports": reports,
        "rows": selectors.side_by_side(a, b), "form": form or EvaluationForm(),
        "running": any(r.status == "running" for r in runs)}, status=400 if form else 200)


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
    return render(request, "tutoring/partials/_evaluation_runs.html", {
        "runs": runs, "running": any(r.status == "running" for r in runs)})
