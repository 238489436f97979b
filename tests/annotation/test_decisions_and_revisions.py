"""One decided value per item (completion and exports agree), revising one's own label until
adjudication, queues refusing schemas their items cannot answer, the agreement page and the
judge's labels on the queue's progress."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.annotation import selectors, services
from apps.annotation.forms import QueueForm
from apps.annotation.judging import judge_queue
from apps.annotation.models import AnnotationSchema, Label, QueueItem
from apps.exports.sources.consensus import DECIDING_KINDS, decide
from tests.annotation.conftest import make_queue
from tests.conftest import make_user

YES = {"correct": "Yes", "tone": "good", "comment": ""}
NO = {"correct": "No", "tone": "good", "comment": ""}


def label(queue, person, value):
    return services.submit_label(services.reserve_next(queue, person).pk, person, value)


def deciding(item):
    item.deciding = list(item.labels.filter(kind__in=DECIDING_KINDS).order_by("id"))
    return item


def test_an_even_split_is_disputed_whatever_the_threshold_as_exports_would_not_decide_it(annotators):
    queue = make_queue(annotators[:2], threshold=0.5)
    label(queue, annotators[0], YES)
    label(queue, annotators[1], NO)
    item = queue.items.get()
    assert item.status == QueueItem.Status.DISPUTED
    assert decide(deciding(item), "categorical") is None


def test_annotator_revises_their_own_label_until_the_item_is_adjudicated(annotators):
    queue = make_queue(annotators[:2], lead=annotators[2])
    first = label(queue, annotators[0], YES)
    label(queue, annotators[1], NO)
    assert queue.items.get().status == QueueItem.Status.DISPUTED
    with pytest.raises(PermissionDenied):
        services.revise_label(first.pk, annotators[1], NO)  # not theirs
    revised = services.revise_label(first.pk, annotators[0], NO)
    assert revised.value == NO and revised.revisions[0]["value"] == YES
    item = queue.items.get()
    assert item.status == QueueItem.Status.COMPLETE
    assert decide(deciding(item), "categorical").value == "No"

    services.revise_label(first.pk, annotators[0], YES)  # disputed again
    services.adjudicate(item.pk, annotators[2], YES, "the reply is right")
    with pytest.raises(ValidationError, match="adjudicated"):
        services.revise_label(first.pk, annotators[0], NO)
    assert Label.objects.get(pk=first.pk).value == YES


def test_revise_page_saves_and_returns_to_the_desk(client, annotators):
    queue = make_queue(annotators[:2])
    mine = label(queue, annotators[0], YES)
    client.force_login(annotators[0])
    desk = client.get(f"/annotation/queues/{queue.pk}/work/").content.decode()
    assert f"/annotation/labels/{mine.pk}/revise/" in desk
    page = client.get(f"/annotation/labels/{mine.pk}/revise/").content.decode()
    assert 'value="Yes" checked' in page
    saved = client.post(f"/annotation/labels/{mine.pk}/revise/", {"correct": "No", "tone": "good"})
    assert saved.status_code == 302 and Label.objects.get(pk=mine.pk).value["correct"] == "No"


@pytest.mark.parametrize(("schema", "target", "message"), [
    ("pairwise-preference", "turn", "cannot be answered on items that show one tutor reply"),
    ("reasoning-steps", "pair", "cannot be answered on items that show two candidate replies"),
    ("tutor-turn", "pair", "need a schema with a pairwise field"),
    ("tutor-turn", "run", "need a schema with a steps field"),
])
def test_queue_form_refuses_a_schema_its_items_cannot_answer(db, schema, target, message):
    people = [make_user(n, "annotator") for n in ("ann", "ben")]
    form = QueueForm({"name": "q", "schema": AnnotationSchema.objects.get(name=schema).pk,
                      "target": target, "limit": 10, "annotators": [p.pk for p in people],
                      "n_per_item": 2, "threshold": 0, "reservation_minutes": 10})
    assert not form.is_valid()
    assert message in " ".join(form.errors["schema"])
    with pytest.raises(ValidationError, match=message):
        services.create_queue(name="q", schema=AnnotationSchema.objects.get(name=schema),
                              target=target, filter={}, annotators=people, created_by=people[0])


def test_agreement_page_shows_alpha_kappa_and_the_plot_once_two_people_labelled(client, annotators):
    queue = make_queue(annotators[:2], n_items=2, lead=annotators[2])
    for value in (YES, NO):
        label(queue, annotators[0], value)
        label(queue, annotators[1], value)
    client.force_login(annotators[2])
    page = client.get(f"/annotation/queues/{queue.pk}/agreement/")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<svg class="agreement-plot"' in text and "<title>1.000</title>" in text
    assert "user:ann" in text and "user:ben" in text


def test_the_llm_judges_labels_show_on_the_queue_progress(annotators):
    queue = make_queue(annotators[:2], n_items=3)
    assert judge_queue(queue.pk) == 3
    [judge] = selectors.progress(queue)["judges"]
    # the scripted reply names no option: labelled, but nothing readable for agreement
    assert judge == {"rater": "llm:scripted/scripted", "labelled": 3, "unreadable": 3}
