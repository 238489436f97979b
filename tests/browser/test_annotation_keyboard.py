"""An annotator labels an item with the keyboard alone, in a real browser."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import expect

from apps.annotation.models import Label
from tests.annotation.conftest import make_queue
from tests.browser.conftest import log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser]


def _labels():
    """Read the labels off the browser's thread (Django refuses ORM calls beside an event loop)."""
    def read():
        try:
            return [(lb.rater, lb.value) for lb in Label.objects.order_by("id")]
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(read).result()


@pytest.fixture
def queue(transactional_db):
    return make_queue([make_user("ann", "annotator"), make_user("ben", "annotator")], n_items=2)


def test_annotator_labels_an_item_with_number_keys_and_enter(web_server, queue, browser_page):
    page = browser_page
    log_in(page, web_server, "ann", "ann-pw")
    page.goto(f"{web_server}/annotation/queues/{queue.pk}/work/")
    expect(page.locator("#annotate")).to_contain_text("Reply 0")
    expect(page.locator(".countdown")).to_have_text(re.compile(r"^(9|10):\d\d$"))
    page.keyboard.press("2")   # Correct: Yes, then on to Tone
    page.keyboard.press("3")   # Tone: good
    expect(page.locator("input[name=tone][value=good]")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.locator("#annotate")).to_contain_text("Reply 1")
    expect(page.locator("#annotate")).to_contain_text("you have labelled 1 of 2 items")
    assert _labels() == [("user:ann", {"correct": "Yes", "tone": "good", "comment": ""})]
