from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

HOME_BY_ROLE = {"student": "problem_list", "teacher": "classroom_list",
                "annotator": "annotation_queues", "admin": "trace_list"}


@login_required
def home(request):
    role = "admin" if request.user.is_admin else request.user.role
    return redirect(HOME_BY_ROLE[role])
