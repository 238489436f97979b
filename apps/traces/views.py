from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from apps.accounts.permissions import role_required
from apps.traces import selectors
from apps.traces.models import Run


@role_required()
def trace_list(request):
    runs = selectors.runs(request.GET.get("source", ""), request.GET.get("status", ""))
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    return render(request, "traces/trace_list.html",
                  {"page": page, "sources": Run.Source.choices})


@role_required()
def trace_detail(request, run_id: int):
    try:
        run, spans = selectors.run_with_tree(run_id)
    except Run.DoesNotExist as exc:
        raise Http404("No such trace.") from exc
    return render(request, "traces/trace_detail.html", {"run": run, "spans": spans})
