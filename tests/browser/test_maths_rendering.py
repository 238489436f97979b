"""Maths in a turn is typeset by the vendored KaTeX, also when the turn arrives over the socket."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.conftest import SCRIPTED_REPLY

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_a_student_turn_with_maths_is_typeset_live_and_after_a_reload(web_server, worker, alice,
                                                                      problem, browser_page):
    page = browser_page
    log_in(page, web_server, "alice", "alice-pw")
    page.goto(f"{web_server}/problems/")
    page.locator(f"#problem-{problem.pk} button").click()
    expect(page.locator("#connection")).to_have_text("connected")
    page.fill("#message", "I added: $3 + 6 = 9$ and **9** is it")
    page.click("#message-form button[type=submit]")
    student = page.locator(".turn.student .body")
    expect(student.locator(".katex")).to_have_count(1)  # swapped in over the socket, typeset
    expect(student.locator("strong")).to_have_text("9")
    expect(page.locator(".turn.tutor.done .body")).to_have_text(SCRIPTED_REPLY)
    page.reload()
    expect(page.locator(".turn.student .body .katex")).to_have_count(1)
