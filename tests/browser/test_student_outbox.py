"""The chat a student expects, in a real browser: a second message typed while the tutor answers
is queued and sent after the reply, a right answer closes the input at once and offers the next
problem, a thumbs rating shows after reload, finished sessions are listed."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.problems.models import Problem
from apps.tutoring.models import Turn
from config.stack import stop_process
from tests.browser.conftest import log_in
from tests.conftest import start_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker]
SHOTS = Path("/work/wt/shots/i15")


def shot(page, name: str) -> None:
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def slow_worker(transactional_db):
    proc = start_worker(LLM_SCRIPTED_TOKEN_DELAY_S="0.3")  # a reply streams for ~3 s
    yield proc
    stop_process(proc)


def test_queued_second_message_right_answer_rating_and_finished_list(
        web_server, slow_worker, alice, problem, browser_page):
    following = Problem.objects.create(statement="Tom has 4 boxes of 5 pens. How many pens?",
                                       gold_answer="20", solution="4 * 5 = 20\n#### 20",
                                       source="gsm8k/test", source_key="t2")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, web_server, "alice", "alice-pw")
    page.goto(f"{web_server}/problems/")
    page.locator(f"#problem-{problem.pk} button").click()
    expect(page.locator("#connection")).to_have_text("connected")
    session_url = page.url

    page.fill("#message", "I added them: 9")
    page.click("#message-form button[type=submit]")
    expect(page.locator(".turn.tutor[data-streaming='true']")).to_have_count(1)
    page.fill("#message", "no wait, 3 times 6 is 18")
    page.click("#message-form button[type=submit]")
    expect(page.locator(".outbox-item .outbox-state")).to_contain_text("queued")
    shot(page, "session-queued-second-message")

    expect(page.locator("#session-end")).to_contain_text("Correct", timeout=60_000)
    expect(page.locator("#message")).to_have_count(0)  # the input closed at once
    expect(page.locator(".outbox-item")).to_have_count(0)
    expect(page.locator("#session-end button")).to_contain_text(following.title)
    assert list(Turn.objects.filter(session__student=alice, author="student")
                .order_by("index").values_list("text", flat=True)) == [
        "I added them: 9", "no wait, 3 times 6 is 18"]
    assert Turn.objects.filter(session__student=alice, author="tutor", status="done").count() == 2
    shot(page, "session-solved")

    page.locator(".feedback button[value=up]").first.click()
    expect(page.locator(".feedback").first).to_contain_text("noted")
    page.reload()
    expect(page.locator(".feedback").first).to_contain_text("👍 noted")

    page.goto(f"{web_server}/problems/")
    expect(page.locator("#finished-sessions")).to_contain_text(problem.title)
    page.locator(f"#problem-{following.pk} button").click()
    expect(page.locator("#connection")).to_have_text("connected")
    second_url = page.url
    page.goto(f"{web_server}/problems/")
    page.locator(f"#problem-{following.pk} button").click()  # "Work on it" again: same session
    assert page.url == second_url != session_url
    page.goto(f"{web_server}/problems/")
    shot(page, "problem-list-open-and-finished")
    page.goto(f"{web_server}/no/such/page/")
    shot(page, "error-404")
