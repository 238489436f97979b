"""Write paths of annotation: queues and their items, reservations, labels, adjudication."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from agents.schema_fields import FieldSpec
from apps.accounts.selectors import withdrawn_learner_ids
from apps.annotation import item_sources
from apps.annotation.decisions import undecided_fields
from apps.annotation.models import (
    Adjudication,
    AnnotationQueue,
    AnnotationSchema,
    Assignment,
    Label,
    QueueItem,
)
from apps.annotation.schema_spec import (
    TEXT_MAX_LENGTH,
    schema_misfit,
    storable_text,
    validate_fields,
    validate_value,
)

ACTIVE_STATES = (Assignment.Status.RESERVED, Assignment.Status.DONE)


class NothingToLabel(Exception):
    """The queue has no item this annotator may label now."""


def rater_of(user) -> str:
    return f"user:{user.username}"


# Schemas -------------------------------------------------------------------------------------

@transaction.atomic
def save_schema_version(name: str, fields: list[dict], description: str = "") -> AnnotationSchema:
    """Add the next version of a schema (the first if new); earlier versions stay as they were."""
    validate_fields(fields)
    latest = (AnnotationSchema.objects.select_for_update().filter(name=name)
              .order_by("-version").first())
    if latest and latest.fields == fields:
        return latest
    return AnnotationSchema.objects.create(name=name, version=(latest.version + 1) if latest else 1,
                                           fields=fields, description=description)


# Queues --------------------------------------------------------------------------------------

@transaction.atomic
def create_queue(*, name: str, schema: AnnotationSchema, target: str, filter: dict,
                 annotators, created_by, n_per_item: int = 2, blind: bool = True,
                 threshold: float = 0.0, lead=None, reservation_minutes: int = 10) -> AnnotationQueue:
    """Create a queue and fill it with the items its filter selects, all or nothing."""
    if n_per_item < 1:
        raise ValidationError("each item needs at least one annotator")
    misfit = schema_misfit(schema.specs, target) if target in item_sources.SOURCES else ""
    if misfit:  # (MRBench queues are filled by `import_mrbench`, with the schema it makes)
        raise ValidationError(misfit)
    queue = AnnotationQueue.objects.create(
        name=name, schema=schema, target=target, filter=filter, lead=lead, n_per_item=n_per_item,
        blind=blind, threshold=threshold, reservation_minutes=reservation_minutes,
        created_by=created_by)
    queue.annotators.set(annotators)
    add_items(queue, item_sources.items_for(target, filter))
    return queue


def add_items(queue: AnnotationQueue, items) -> int:
    """Add (key, target, payload) items the queue does not have yet; returns how many were new."""
    rows = []
    for key, target, payload in items:
        rows.append(QueueItem(queue=queue, key=key, payload=payload,
                              learner_id=item_sources.learner_of(target),
                              target_type=ContentType.objects.get_for_model(target) if target else None,
                              target_id=target.pk if target else None))
    created = QueueItem.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


# Reservations --------------------------------------------------------------------------------

def expire_reservations(queue: AnnotationQueue | None = None) -> int:
    """Free the slots whose reservation ran out."""
    qs = Assignment.objects.filter(status=Assignment.Status.RESERVED, expires_at__lte=timezone.now())
    if queue is not None:
        qs = qs.filter(item__queue=queue)
    return qs.update(status=Assignment.Status.EXPIRED)


def reserve_next(queue: AnnotationQueue, annotator) -> Assignment:
    """Reserve a free slot of the next open item for this annotator (or return the one they hold).

    The item row is locked (preferring rows nobody else is reserving right now), and the
    partial unique constraints on (item, slot) and (item, annotator) make a double
    reservation impossible even if two transactions raced past the lock.
    """
    if not queue.annotators.filter(pk=annotator.pk).exists():
        raise PermissionDenied("you are not an annotator of this queue")
    expire_reservations(queue)
    held = (Assignment.objects.select_related("item")
            .filter(item__queue=queue, annotator=annotator, status=Assignment.Status.RESERVED)
            .exclude(item__learner__in=withdrawn_learner_ids()).first())
    if held:
        return held
    mine = Assignment.objects.filter(item=OuterRef("pk"), annotator=annotator).exclude(
        status=Assignment.Status.EXPIRED)
    open_items = (QueueItem.objects.filter(queue=queue, status=QueueItem.Status.OPEN)
                  .exclude(learner__in=withdrawn_learner_ids())
                  .annotate(active=Count("assignments", filter=Q(assignments__status__in=ACTIVE_STATES)))
                  .filter(active__lt=queue.n_per_item).exclude(Exists(mine)).values("pk"))
    passed: set[int] = set()
    for _attempt in range(10):
        try:
            with transaction.atomic():
                candidates = QueueItem.objects.filter(pk__in=open_items).exclude(
                    pk__in=passed).order_by("id")
                # An item someone else is reserving right now is skipped; if every candidate is
                # being reserved, wait for the first one and recount its free slots.
                item = (candidates.select_for_update(skip_locked=True).first()
                        or candidates.select_for_update().first())
                if item is None:
                    raise NothingToLabel("nothing left for you in this queue")
                taken = set(item.assignments.filter(status__in=ACTIVE_STATES)
                            .values_list("slot", flat=True))
                free = set(range(1, queue.n_per_item + 1)) - taken
                if not free:  # filled by a transaction that committed after our first read
                    passed.add(item.pk)
                    continue
                return Assignment.objects.create(
                    item=item, annotator=annotator, slot=min(free),
                    expires_at=timezone.now() + timedelta(minutes=queue.reservation_minutes))
        except IntegrityError:
            continue  # another transaction took the slot between our read and write: look again
    raise NothingToLabel("the queue is busy; try again")


def _held_assignment(assignment_id: int, annotator) -> Assignment:
    assignment = (Assignment.objects.select_for_update().select_related("item__queue__schema")
                  .filter(pk=assignment_id, annotator=annotator).first())
    if assignment is None:
        raise PermissionDenied("this is not your assignment")
    if assignment.status == Assignment.Status.DONE:
        raise ValidationError("you already labelled this item; take the next one")
    if assignment.status == Assignment.Status.SKIPPED:
        raise ValidationError("you skipped this item; take the next one")
    if assignment.status != Assignment.Status.RESERVED or assignment.expires_at <= timezone.now():
        raise ValidationError("your reservation of this item has expired; take the next one")
    return assignment


@transaction.atomic
def submit_label(assignment_id: int, annotator, value: dict) -> Label:
    """Store the annotator's label verbatim and close the slot; flag the item when complete."""
    assignment = _held_assignment(assignment_id, annotator)
    item, schema = assignment.item, assignment.item.queue.schema
    validate_value(schema.specs, value, n_steps=item.n_steps)
    label = Label.objects.create(kind=Label.Kind.HUMAN, item=item, assignment=assignment,
                                 annotator=annotator, rater=rater_of(annotator), schema=schema,
                                 value=value)
    assignment.status, assignment.finished_at = Assignment.Status.DONE, timezone.now()
    assignment.save(update_fields=["status", "finished_at"])
    settle_item(item)
    return label


def can_revise(label: Label, annotator) -> bool:
    """An annotator may revise their own label on an item until the item is adjudicated."""
    return (label.kind == Label.Kind.HUMAN and label.annotator_id == annotator.pk
            and label.item is not None and label.item.status != QueueItem.Status.ADJUDICATED)


@transaction.atomic
def revise_label(label_id: int, annotator, value: dict) -> Label:
    """Replace an annotator's own label (the earlier value is kept in `revisions`) and settle the
    item again: a revision can resolve a dispute or open one."""
    label = (Label.objects.select_for_update(of=("self",)).select_related("item__queue__schema")
             .filter(pk=label_id).first())
    if label is None or label.kind != Label.Kind.HUMAN or label.annotator_id != annotator.pk:
        raise PermissionDenied("this is not your label")
    item = QueueItem.objects.select_for_update().get(pk=label.item_id)
    if item.status == QueueItem.Status.ADJUDICATED:
        raise ValidationError("this item has been adjudicated; its decision is final")
    validate_value(item.queue.schema.specs, value, n_steps=item.n_steps)
    if value == label.value:
        return label
    label.revisions = [*label.revisions, {"value": label.value, "until": timezone.now().isoformat()}]
    label.value = value
    label.save(update_fields=["value", "revisions"])
    if item.status != QueueItem.Status.OPEN:
        item.status = QueueItem.Status.OPEN
        item.save(update_fields=["status"])
    settle_item(item)
    return label


@transaction.atomic
def skip(assignment_id: int, annotator, reason: str) -> Assignment:
    """Give the slot back with a reason; the item is not offered to this annotator again."""
    reason = storable_text(reason.strip(), "Reason")
    if not reason:
        raise ValidationError("say why you skip this item")
    assignment = _held_assignment(assignment_id, annotator)
    assignment.status, assignment.skip_reason = Assignment.Status.SKIPPED, reason[:300]
    assignment.finished_at = timezone.now()
    assignment.save(update_fields=["status", "skip_reason", "finished_at"])
    return assignment


# Disagreement and adjudication ---------------------------------------------------------------

def disagreement(fields: Sequence[FieldSpec], values: list[dict]) -> dict[str, float]:
    """Per scored field, the share of labels that differ from the most common value."""
    out = {}
    for field in fields:
        if not field.scored:
            continue
        given = [repr(v.get(field.name)) for v in values]
        if given:
            out[field.name] = 1 - Counter(given).most_common(1)[0][1] / len(given)
    return out


def settle_item(item: QueueItem) -> None:
    """Once an item has its N human labels, mark it complete or disputed.

    The item row is locked first, so of two annotators giving the last labels at once, the
    second to get the lock counts both labels.
    """
    queue = item.queue
    item = QueueItem.objects.select_for_update().get(pk=item.pk)
    labels = list(item.labels.filter(kind=Label.Kind.HUMAN).values_list("value", flat=True))
    if len(labels) < queue.n_per_item or item.status != QueueItem.Status.OPEN:
        return
    spread = disagreement(queue.schema.specs, labels)
    # Complete only when every scored field has a decided value (the one exports read), so a
    # 1–1 split is adjudicated whatever the threshold.
    disputed = (any(share > queue.threshold for share in spread.values())
                or bool(undecided_fields(queue.schema.specs, labels)))
    item.status = QueueItem.Status.DISPUTED if disputed else QueueItem.Status.COMPLETE
    item.save(update_fields=["status"])


def can_adjudicate(user, queue: AnnotationQueue) -> bool:
    return user.is_admin or queue.lead_id == user.pk


@transaction.atomic
def adjudicate(item_id: int, user, value: dict, note: str = "") -> Adjudication:
    """Record the final label of a disputed item, keeping the originals beside it."""
    item = QueueItem.objects.select_for_update().select_related("queue__schema").get(pk=item_id)
    if not can_adjudicate(user, item.queue):
        raise PermissionDenied("only an admin or the queue's lead annotator adjudicates")
    if item.status != QueueItem.Status.DISPUTED:
        raise ValidationError("this item is not awaiting adjudication")
    validate_value(item.queue.schema.specs, value, n_steps=item.n_steps)
    storable_text(note, "Note", TEXT_MAX_LENGTH)
    originals = [{"label_id": label.pk, "rater": label.rater, "kind": label.kind, "value": label.value}
                 for label in item.labels.exclude(kind=Label.Kind.ADJUDICATION)]
    label = Label.objects.create(kind=Label.Kind.ADJUDICATION, item=item, annotator=user,
                                 rater=f"adjudication:{user.username}", schema=item.queue.schema,
                                 value=value)
    item.status = QueueItem.Status.ADJUDICATED
    item.save(update_fields=["status"])
    return Adjudication.objects.create(item=item, label=label, decided_by=user, note=note,
                                       originals=originals)


# Consent --------------------------------------------------------------------------------------

@transaction.atomic
def withdraw_learner(learner_id: int) -> dict[str, int]:
    """A learner withdrew data-sharing consent: their items nobody has labelled leave every
    queue, and slots reserved on their other items are freed (and not handed out again)."""
    items = QueueItem.objects.filter(learner_id=learner_id)
    expired = Assignment.objects.filter(item__in=items, status=Assignment.Status.RESERVED).update(
        status=Assignment.Status.EXPIRED)
    _, deleted = (items.exclude(Exists(Label.objects.filter(item=OuterRef("pk"))))
                  .exclude(Exists(Assignment.objects.filter(item=OuterRef("pk"),
                                                            status=Assignment.Status.DONE)))
                  .delete())
    return {"expired": expired, "removed": deleted.get(QueueItem._meta.label, 0)}


# Feedback ---------------------------------------------------------------------------------------

@transaction.atomic
def record_feedback(turn, user, thumbs: str, comment: str = "") -> Label:
    """A student's or teacher's thumbs on a tutor turn; rating again replaces their earlier one."""
    if user.role not in ("student", "teacher"):  # not has_role: an admin's thumbs are not a learner's
        raise PermissionDenied("thumbs are for the session's student and their teacher")
    if turn.status != turn.Status.DONE:
        raise ValidationError("only a finished reply can be rated")
    if thumbs not in ("up", "down"):
        raise ValidationError("choose thumbs up or thumbs down")
    storable_text(comment, "Comment")
    value = {"thumbs": thumbs, "comment": comment.strip()[:1000], "role": user.role}
    label, _ = Label.objects.update_or_create(
        kind=Label.Kind.FEEDBACK, turn=turn, rater=rater_of(user),
        defaults={"annotator": user, "value": value})
    return label
