"""Reservations: a slot is held by one annotator at a time, even under concurrent requests."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.annotation import services
from apps.annotation.models import Assignment
from tests.annotation.conftest import make_queue
from tests.conftest import make_user


def _race(queue, people):
    """Every annotator asks for the next item at the same moment, each on its own connection."""
    barrier, results = threading.Barrier(len(people)), {}

    def reserve(person):
        try:
            barrier.wait()
            results[person.username] = services.reserve_next(queue, person)
        except services.NothingToLabel:
            results[person.username] = None
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_annotators_racing_for_one_single_slot_item_get_it_once(annotators):
    queue = make_queue(annotators[:2], n_items=1, n_per_item=1)
    for _round in range(5):
        Assignment.objects.all().delete()
        results = _race(queue, annotators[:2])
        winners = [a for a in results.values() if a is not None]
        assert len(winners) == 1, results
        assert Assignment.objects.filter(status="reserved").count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_annotators_on_a_two_slot_item_hold_distinct_slots(annotators):
    queue = make_queue(annotators, n_items=2, n_per_item=2)
    _race(queue, annotators)
    held = list(Assignment.objects.filter(status="reserved").values_list("item_id", "slot", "annotator"))
    assert len(held) == 3
    assert len({(item, slot) for item, slot, _ in held}) == 3
    per_item = {}
    for item, _, annotator in held:
        per_item.setdefault(item, set()).add(annotator)
    assert all(len(people) <= 2 for people in per_item.values())


def test_database_refuses_a_second_holder_of_a_slot(annotators):
    queue = make_queue(annotators, n_items=1)
    first = services.reserve_next(queue, annotators[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(item=first.item, annotator=annotators[1], slot=first.slot,
                                  expires_at=timezone.now() + timedelta(minutes=5))


def test_annotator_keeps_their_reservation_until_they_label_it(annotators):
    queue = make_queue(annotators, n_items=3)
    first = services.reserve_next(queue, annotators[0])
    assert services.reserve_next(queue, annotators[0]).pk == first.pk
    services.submit_label(first.pk, annotators[0], {"correct": "Yes", "tone": "ok", "comment": ""})
    second = services.reserve_next(queue, annotators[0])
    assert second.item_id != first.item_id


def test_expired_reservation_frees_the_slot_for_someone_else(annotators):
    queue = make_queue(annotators[:2], n_items=1, n_per_item=1)
    held = services.reserve_next(queue, annotators[0])
    with pytest.raises(services.NothingToLabel):
        services.reserve_next(queue, annotators[1])
    Assignment.objects.filter(pk=held.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    taken = services.reserve_next(queue, annotators[1])
    assert taken.item_id == held.item_id and taken.slot == held.slot
    with pytest.raises(ValidationError, match="expired"):
        services.submit_label(held.pk, annotators[0], {"correct": "Yes", "tone": "ok"})


def test_skip_needs_a_reason_and_the_item_is_not_offered_again(annotators):
    queue = make_queue(annotators[:1], n_items=1, n_per_item=1)
    held = services.reserve_next(queue, annotators[0])
    with pytest.raises(ValidationError, match="say why"):
        services.skip(held.pk, annotators[0], "  ")
    services.skip(held.pk, annotators[0], "the reply is cut off")
    assert Assignment.objects.get(pk=held.pk).skip_reason == "the reply is cut off"
    with pytest.raises(services.NothingToLabel):
        services.reserve_next(queue, annotators[0])


def test_only_the_queues_annotators_can_reserve(annotators):
    queue = make_queue(annotators[:2], n_items=1)
    with pytest.raises(PermissionDenied):
        services.reserve_next(queue, make_user("outsider", "annotator"))


@pytest.mark.django_db(transaction=True)
def test_two_annotators_giving_the_last_labels_at_once_settle_the_item(annotators):
    queue = make_queue(annotators[:2], n_items=1, n_per_item=2)
    held = [services.reserve_next(queue, person) for person in annotators[:2]]
    barrier = threading.Barrier(2)

    def submit(assignment, person, answer):
        try:
            barrier.wait()
            services.submit_label(assignment.pk, person, {"correct": answer, "tone": "ok"})
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(a, p, v))
               for a, p, v in zip(held, annotators[:2], ("Yes", "No"), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert queue.items.get().status == "disputed"
