"""Two annotators label candidate pairs in a real browser; the agreement page shows their κ and α
with its plot, and the DPO export holds the pairs they decided. The pairs come from the tutor's
real turn path (`take_turns`: run_turn with the scripted engine, the demo class collecting
pairs; the candidate task that annotation queues on `tutor_turn_done` runs eagerly there)."""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from apps.annotation import services as annotation
from apps.annotation.schema_spec import DEFAULT_SCHEMAS
from apps.annotation.services import save_schema_version
from apps.exports import services as exports
from apps.exports.filters import ExportFilters
from apps.tutoring.models import TutoringSession
from tests.browser.conftest import log_in
from tests.conftest import make_user
from tests.exports.factories import take_turns

pytestmark = [pytest.mark.browser]


def off_the_browser_thread(fn):
    """Run ORM work on another thread (Django refuses it beside Playwright's event loop)."""
    def call():
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


@pytest.fixture
def pair_queue(transactional_db, classroom, alice, problem):
    classroom.collect_candidate_pairs = True
    classroom.save()
    ann, ben = make_user("ann", "annotator"), make_user("ben", "annotator")
    admin = make_user("root", "admin")
    schema = save_schema_version("pairwise-preference", DEFAULT_SCHEMAS["pairwise-preference"])
    queue = annotation.create_queue(
        name="pairs", schema=schema,
        target="pair", filter={}, annotators=[ann, ben], created_by=admin, n_per_item=2)
    session = TutoringSession.objects.create(student=alice, problem=problem, classroom=classroom)
    # As the worker does; each shown reply and its candidate differ.
    take_turns(session, [("I got 9 apples.", None), ("Then 12 apples?", None)],
               replies=[f"Question {n}: what is in one bag?" for n in range(1, 9)])
    assert queue.items.count() == 2
    return queue


def label_both(page, base: str, queue_id: int, who: str, keys: list[str]) -> None:
    log_in(page, base, who, f"{who}-pw")
    page.goto(f"{base}/annotation/queues/{queue_id}/work/")
    for n, key in enumerate(keys, start=1):
        expect(page.locator("#annotate .pair")).to_be_visible()
        page.keyboard.press(key)
        page.keyboard.press("Enter")
        expect(page.locator("#annotate")).to_contain_text(f"you have labelled {n} of 2 items")
    page.click("form.logout button")


def test_two_annotators_label_in_the_browser_then_agreement_and_dpo_export(
        pair_queue, web_server, browser_page, tmp_path):
    page = browser_page
    label_both(page, web_server, pair_queue.pk, "ann", ["1", "2"])   # A, B
    label_both(page, web_server, pair_queue.pk, "ben", ["1", "1"])   # A, A: they differ on one
    statuses = off_the_browser_thread(
        lambda: sorted(pair_queue.items.values_list("status", flat=True)))
    assert statuses == ["complete", "disputed"]

    log_in(page, web_server, "root", "root-pw")
    page.goto(f"{web_server}/annotation/queues/{pair_queue.pk}/agreement/")
    expect(page.locator("svg.agreement-plot")).to_be_visible()
    expect(page.locator("#agreement-table")).to_contain_text("Better reply")
    expect(page.locator("#pair-table")).to_contain_text("user:ann")
    page.goto(f"{web_server}/annotation/queues/{pair_queue.pk}/")
    expect(page.locator("#annotator-progress")).to_contain_text("ben")

    def export():
        admin = type(pair_queue.created_by).objects.get(username="root")
        done = exports.run_export(exports.request_export(
            admin, format_name="dpo", file_type="jsonl", filters=ExportFilters(validation_fraction=0),
            directory=tmp_path / "dpo", enqueue=False).pk)
        return [json.loads(line) for line in (Path(done.directory) / "train.jsonl").read_text().splitlines()]

    rows = off_the_browser_thread(export)
    assert len(rows) == 1  # the decided pair; the disputed one waits for adjudication
    assert rows[0]["prompt"][-1] == {"role": "user", "content": "I got 9 apples."}
