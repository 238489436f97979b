from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.permissions import role_required
from apps.tutoring import selectors, services


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
    return render(request, "tutoring/session.html", {
        "session": session, "turns": selectors.turns_of(session),
        "can_write": selectors.can_write(request.user, session),
        "next_problem": (selectors.next_problem_for(session.student, session)
                         if session.status == session.Status.SOLVED else None),
    })
