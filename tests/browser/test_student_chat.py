"""A student in a real browser: log in, open a problem, send an answer, watch the reply stream."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.conftest import SCRIPTED_REPLY

pytestmark = [pytest.mark.browser, pytest.mark.worker]

RECORD_TUTOR_TEXT = """() => {
  window.seen = [];
  new MutationObserver(() => {
    const body = document.querySelector('.turn.tutor .body');
    if (body) window.seen.push(body.textContent);
  }).observe(document.getElementById('turns'), {childList: true, subtree: true, characterData: true});
}"""


def test_student_sends_an_answer_and_the_reply_streams_in(web_server, worker, alice, problem,
                                                          browser_page):
    page = browser_page
    log_in(page, web_server, "alice", "alice-pw")
    page.goto(f"{web_server}/problems/")
    page.locator(f"#problem-{problem.pk} button").click()
    expect(page.locator("#statement")).to_have_text(problem.statement)
    expect(page.locator("#connection")).to_have_text("connected")

    page.evaluate(RECORD_TUTOR_TEXT)
    page.fill("#message", "3 bags and 6 apples, so I added them: 9")
    page.click("#message-form button[type=submit]")
    expect(page.locator(".turn.student .body")).to_contain_text("so I added them: 9")
    tutor = page.locator(".turn.tutor.done .body")
    expect(tutor).to_have_text(SCRIPTED_REPLY)
    expect(page.locator("#message")).to_have_value("")

    seen = [text for text in page.evaluate("window.seen") if text]
    partial = [text for text in seen if text and text != SCRIPTED_REPLY]
    assert len(set(partial)) >= 2, f"the reply arrived in one piece: {seen}"
    assert all(SCRIPTED_REPLY.startswith(text) for text in partial)

    page.reload()
    expect(page.locator(".turn.student .body")).to_contain_text("so I added them: 9")
    expect(page.locator(".turn.tutor .body")).to_have_text(SCRIPTED_REPLY)
