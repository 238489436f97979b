from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from agents.llm import ENGINES
from apps.accounts.permissions import role_required
from apps.annotation import judging, selectors, services
from apps.annotation.agreement_plot import agreement_svg
from apps.annotation.forms import QueueForm, value_from_post
from apps.annotation.models import Assignment, Label, QueueItem
from apps.tutoring.models import Turn
from apps.tutoring.selectors import session_for


def _queue(request, queue_id: int):
    queue = selectors.queue_for(request.user, queue_id)
    if queue is None:
        raise Http404("No such queue.")
    return queue


def _lead_or_admin(request, queue) -> None:
    if not services.can_adjudicate(request.user, queue):
        raise PermissionDenied("this page is for admins and the queue's lead annotator")


@role_required("annotator")
def queue_list(request):
    queues = selectors.queues_for(request.user)
    return render(request, "annotation/queue_list.html", {"queues": queues})


@role_required("admin")
def queue_create(request):
    form = QueueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            queue = services.create_queue(
                name=data["name"], schema=data["schema"], target=data["target"],
                filter=form.queue_filter(), annotators=data["annotators"], created_by=request.user,
                n_per_item=data["n_per_item"], blind=data["blind"], threshold=data["threshold"],
                lead=data["lead"], reservation_minutes=data["reservation_minutes"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Queue created with {queue.items.count()} items.")
            return redirect("annotation_queue", queue_id=queue.pk)
    return render(request, "annotation/queue_form.html", {"form": form})


@role_required("annotator")
def queue_detail(request, queue_id: int):
    queue = _queue(request, queue_id)
    _lead_or_admin(request, queue)
    return render(request, "annotation/queue_detail.html", {
        "queue": queue, "progress": selectors.progress(queue),
        "disputed": selectors.disputed_items(queue)[:100]})


def _item_context(request, queue, assignment, errors=None, value=None):
    return {"queue": queue, "assignment": assignment, "item": assignment.item if assignment else None,
            "fields": queue.schema.specs, "errors": errors or [], "value": value or {},
            "others": selectors.visible_labels(assignment.item, request.user) if assignment else [],
            "progress": selectors.progress_of(queue, request.user),
            "mine": selectors.my_labels(queue, request.user)}


def _next_item(request, queue):
    try:
        assignment = services.reserve_next(queue, request.user)
    except services.NothingToLabel as exc:
        return _item_context(request, queue, None) | {"done_message": str(exc)}
    return _item_context(request, queue, assignment)


@role_required("annotator")
def work(request, queue_id: int):
    queue = _queue(request, queue_id)
    return render(request, "annotation/work.html", _next_item(request, queue))


WITHDRAWN = ("That item was withdrawn from the queue (the learner withdrew data-sharing "
             "consent); nothing was saved. Here is the next one.")


def _assignment(request, assignment_id: int) -> Assignment | None:
    """The annotator's assignment; None when its item left the queue (the learner withdrew)."""
    assignment = (Assignment.objects.select_related("item__queue__schema")
                  .filter(pk=assignment_id, annotator=request.user).first())
    if assignment is None:
        queue_id = request.POST.get("queue", "")
        if queue_id.isdigit() and selectors.queue_for(request.user, int(queue_id)):
            return None
        raise Http404("No such assignment.")
    return assignment


def _withdrawn(request):
    queue = _queue(request, int(request.POST["queue"]))
    context = _next_item(request, queue)
    return _render_item(request, context | {"errors": [WITHDRAWN, *context["errors"]]})


def _render_item(request, context):
    template = "annotation/partials/_item.html" if request.htmx else "annotation/work.html"
    return render(request, template, context)


@require_POST
@role_required("annotator")
def submit_label(request, assignment_id: int):
    assignment = _assignment(request, assignment_id)
    if assignment is None:
        return _withdrawn(request)
    queue = assignment.item.queue
    value = value_from_post(queue.schema.specs, request.POST, assignment.item.n_steps)
    try:
        services.submit_label(assignment.pk, request.user, value)
    except ValidationError as exc:
        return _render_item(request, _item_context(request, queue, assignment, exc.messages, value))
    return _render_item(request, _next_item(request, queue))


@require_POST
@role_required("annotator")
def skip(request, assignment_id: int):
    assignment = _assignment(request, assignment_id)
    if assignment is None:
        return _withdrawn(request)
    queue = assignment.item.queue
    try:
        services.skip(assignment.pk, request.user, request.POST.get("reason", ""))
    except ValidationError as exc:
        return _render_item(request, _item_context(request, queue, assignment, exc.messages))
    return _render_item(request, _next_item(request, queue))


@role_required("annotator")
def revise_label(request, label_id: int):
    label = (Label.objects.select_related("item__queue__schema")
             .filter(pk=label_id, annotator=request.user, kind=Label.Kind.HUMAN).first())
    if label is None or selectors.queue_for(request.user, label.item.queue_id) is None:
        raise Http404("No such label of yours.")
    item, queue = label.item, label.item.queue
    errors, value = [], label.value
    if request.method == "POST":
        value = value_from_post(queue.schema.specs, request.POST, item.n_steps)
        try:
            services.revise_label(label.pk, request.user, value)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, f"Your label on item {item.pk} is revised.")
            return redirect("annotation_work", queue_id=queue.pk)
    return render(request, "annotation/revise.html", {
        "queue": queue, "item": item, "label": label, "fields": queue.schema.specs,
        "errors": errors, "value": value, "can_revise": services.can_revise(label, request.user)})


@role_required("annotator")
def agreement_page(request, queue_id: int):
    queue = _queue(request, queue_id)
    _lead_or_admin(request, queue)
    report = selectors.agreement_report(queue)
    return render(request, "annotation/agreement.html",
                  {"queue": queue, "report": report, "plot": agreement_svg(report)})


@require_POST
@role_required("admin")
def run_judge(request, queue_id: int):
    queue = _queue(request, queue_id)
    engine = request.POST.get("engine", "").strip() or None
    if engine is not None and engine not in ENGINES:
        messages.error(request, f"unknown LLM engine {engine[:40]!r}; choose one of {', '.join(ENGINES)}")
        return redirect("annotation_queue", queue_id=queue.pk)
    try:
        judging.queue_judge(queue.pk, engine)
    except Exception as exc:  # kombu raises many kinds; all mean the task was not queued
        messages.error(request, f"The job queue is unreachable ({type(exc).__name__}); "
                                "nothing was queued. Try again in a minute.")
    else:
        messages.success(request, "The LLM judge is labelling this queue; its labels appear as they come.")
    return redirect("annotation_queue", queue_id=queue.pk)


@role_required("annotator")
def adjudicate(request, item_id: int):
    item = get_object_or_404(QueueItem.objects.select_related("queue__schema"), pk=item_id)
    queue = _queue(request, item.queue_id)
    _lead_or_admin(request, queue)
    errors, value = [], {}
    if request.method == "POST":
        value = value_from_post(queue.schema.specs, request.POST, item.n_steps)
        try:
            services.adjudicate(item.pk, request.user, value, request.POST.get("note", ""))
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, f"Item {item.pk} adjudicated.")
            return redirect("annotation_queue", queue_id=queue.pk)
    return render(request, "annotation/adjudicate.html", {
        "queue": queue, "item": item, "fields": queue.schema.specs, "errors": errors, "value": value,
        "labels": item.labels.select_related("annotator").order_by("id"),
        "adjudication": getattr(item, "adjudication", None)})


@require_POST
@role_required("student", "teacher")
def turn_feedback(request, turn_id: int):
    turn = Turn.objects.filter(pk=turn_id, author=Turn.Author.TUTOR).first()
    if turn is None or session_for(request.user, turn.session_id) is None:
        raise Http404("No such turn.")
    error = ""
    try:
        services.record_feedback(turn, request.user, request.POST.get("thumbs", ""),
                                 request.POST.get("comment", ""))
    except ValidationError as exc:
        error = " ".join(exc.messages)
    rated = "" if error else request.POST.get("thumbs")
    return render(request, "annotation/partials/_feedback.html",
                  {"turn": turn, "feedback_error": error, "rated": rated})
