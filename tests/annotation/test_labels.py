"""Labels, disagreement and adjudication: what annotators give is kept, the final word recorded."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.annotation import selectors, services
from apps.annotation.models import Label, QueueItem
from apps.annotation.schema_spec import DEFAULT_SCHEMAS
from tests.annotation.conftest import make_queue
from tests.conftest import make_user

YES = {"correct": "Yes", "tone": "good", "comment": "clear"}
NO = {"correct": "No", "tone": "good", "comment": ""}


def label(queue, person, value):
    assignment = services.reserve_next(queue, person)
    return services.submit_label(assignment.pk, person, value)


def test_label_is_stored_verbatim_with_its_rater(annotators):
    queue = make_queue(annotators)
    stored = label(queue, annotators[0], YES)
    assert Label.objects.get(pk=stored.pk).value == YES
    assert stored.rater == "user:ann" and stored.kind == "human"


def test_label_outside_the_schema_is_refused_with_a_message(annotators):
    queue = make_queue(annotators)
    assignment = services.reserve_next(queue, annotators[0])
    with pytest.raises(ValidationError) as exc:
        services.submit_label(assignment.pk, annotators[0], {"correct": "Maybe", "tone": "ok"})
    assert "Correct: choose one of No, Yes" in exc.value.messages
    assert not Label.objects.exists()


def test_agreeing_labels_complete_the_item_and_disagreeing_ones_dispute_it(annotators):
    queue = make_queue(annotators, n_items=2)
    label(queue, annotators[0], YES)
    label(queue, annotators[1], YES)
    label(queue, annotators[0], YES)
    label(queue, annotators[1], NO)
    assert list(queue.items.order_by("id").values_list("status", flat=True)) == ["complete", "disputed"]


def test_threshold_lets_a_minority_of_one_in_three_pass(annotators):
    queue = make_queue(annotators, n_per_item=3, threshold=0.34)
    for person, value in zip(annotators, (YES, YES, NO), strict=True):
        label(queue, person, value)
    assert queue.items.get().status == QueueItem.Status.COMPLETE


def test_blind_queue_hides_other_labels_and_open_queue_shows_them(annotators):
    blind = make_queue(annotators, name="blind", blind=True)
    label(blind, annotators[0], YES)
    assert selectors.visible_labels(blind.items.get(), annotators[1]) == []
    shown = make_queue(annotators, name="open", blind=False)
    label(shown, annotators[0], YES)
    assert [lb.rater for lb in selectors.visible_labels(shown.items.get(), annotators[1])] == ["user:ann"]


def test_adjudication_is_final_and_keeps_the_originals(annotators):
    lead = annotators[2]
    queue = make_queue(annotators[:2], lead=lead)
    label(queue, annotators[0], YES)
    label(queue, annotators[1], NO)
    item = queue.items.get()
    with pytest.raises(PermissionDenied):
        services.adjudicate(item.pk, annotators[0], YES)
    decision = services.adjudicate(item.pk, lead, NO, "the reply states the answer")
    item.refresh_from_db()
    assert item.status == "adjudicated"
    assert decision.label.kind == "adjudication" and decision.label.value == NO
    assert sorted(o["value"]["correct"] for o in decision.originals) == ["No", "Yes"]
    assert Label.objects.filter(item=item, kind="human").count() == 2  # originals untouched
    with pytest.raises(ValidationError, match="not awaiting"):
        services.adjudicate(item.pk, make_user("boss", "admin"), YES)


def test_agreement_report_counts_humans_and_measures_against_gold(annotators):
    queue = make_queue(annotators[:2], n_items=4)
    values = [("Yes", "Yes", "Yes"), ("No", "No", "No"), ("Yes", "No", "Yes"), ("No", "No", "No")]
    items = list(queue.items.order_by("id"))
    for item, (a, b, gold) in zip(items, values, strict=True):
        for person, v in ((annotators[0], a), (annotators[1], b)):
            assignment = services.reserve_next(queue, person)
            assert assignment.item_id == item.pk
            services.submit_label(assignment.pk, person, {"correct": v, "tone": "ok"})
        Label.objects.create(kind="gold", item=item, rater="gold:test", value={"correct": gold})
    report = selectors.agreement_report(queue)
    correct = report["dimensions"][0]
    assert correct["field"].name == "correct" and correct["fleiss_units"] == 4
    ann = next(r for r in correct["raters"] if r["rater"] == "user:ann")
    ben = next(r for r in correct["raters"] if r["rater"] == "user:ben")
    assert ann["gold"]["agreement"] == 1.0 and ann["gold"]["kappa"] == 1.0
    assert ben["gold"]["agreement"] == 0.75
    pair = next(p for p in correct["pairs"] if {p["a"], p["b"]} == {"user:ann", "user:ben"})
    assert pair["kappa"] == pytest.approx(0.5)  # 3 of 4 agree; chance 0.5


def test_step_labels_are_stored_raw_one_per_step_of_a_traced_run(annotators, tmp_path):
    from tests.exports.factories import atlas_experiment

    atlas_experiment(tmp_path)  # a real ATLAS run: an item is the student's solution, in steps
    schema = services.save_schema_version("steps", DEFAULT_SCHEMAS["reasoning-steps"])
    queue = services.create_queue(name="steps", schema=schema, target="run", filter={"limit": 1},
                                  annotators=annotators[:1], created_by=annotators[0], n_per_item=1)
    item = queue.items.get()
    assert item.payload["steps"] == ["Groups times size.", "Final answer: 12"]
    assert item.payload["question"] == "Tom has 3 bags with 4 apples each. How many apples?"
    held = services.reserve_next(queue, annotators[0])
    with pytest.raises(ValidationError, match="each of the 2 steps"):
        services.submit_label(held.pk, annotators[0], {"steps": [1], "comment": ""})
    services.submit_label(held.pk, annotators[0], {"steps": [1, -1], "comment": ""})
    assert Label.objects.get().value["steps"] == [1, -1]
