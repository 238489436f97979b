from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from apps.accounts.permissions import role_required
from apps.traces import selectors, threads
from apps.traces.models import Run


class TraceFilter(forms.Form):
    source = forms.ChoiceField(choices=[("", "all sources"), *Run.Source.choices], required=False)
    status = forms.ChoiceField(choices=[("", "any outcome"), *Run.Status.choices], required=False)
    engine = forms.CharField(required=False, max_length=40)
    user = forms.CharField(required=False, max_length=150)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    thread = forms.CharField(required=False, max_length=threads.MAX_LENGTH, widget=forms.HiddenInput)
    q = forms.CharField(required=False, max_length=200, label="Search prompts and completions")


@role_required("admin")
def trace_list(request):
    form = TraceFilter(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    text = filters.pop("q", "")
    runs = selectors.runs(**filters, text=text) if form.is_valid() or not request.GET else Run.objects.none()
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "traces/trace_list.html",
                  {"page": page, "form": form, "query": query.urlencode(), "engines": selectors.engines(),
                   "filtered": bool(filters or text),
                   "thread": threads.link(filters["thread"]) if "thread" in filters else None})


@role_required("admin")
def trace_detail(request, run_id: int):
    try:
        run, spans = selectors.run_with_tree(run_id)
    except Run.DoesNotExist as exc:
        raise Http404("No such trace.") from exc
    return render(request, "traces/trace_detail.html",
                  {"run": run, "spans": spans, "thread": threads.link(run.thread)})
