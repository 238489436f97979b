"""A teacher watches a student's reply stream in live, takes over, writes, and hands back."""

import pytest
from playwright.sync_api import expect

from apps.tutoring.models import Turn, TutoringSession
from tests.browser.conftest import log_in
from tests.conftest import SCRIPTED_REPLY

pytestmark = [pytest.mark.browser, pytest.mark.worker]

RECORD_TUTOR_TEXT = """(sessionId) => {
  window.seen = [];
  new MutationObserver(() => {
    const body = document.querySelector('#card-' + sessionId + ' .turn.tutor .body');
    if (body) window.seen.push(body.textContent);
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def test_teacher_watches_the_stream_takes_over_and_hands_back(web_server, worker, classroom,
                                                              alice, problem, browser_page):
    session = TutoringSession.objects.create(student=alice, problem=problem, classroom=classroom)
    teacher = browser_page
    student = teacher.context.browser.new_context().new_page()
    student.set_default_timeout(30_000)
    teacher.set_default_timeout(30_000)

    log_in(teacher, web_server, "teacher", "teacher-pw")
    teacher.goto(f"{web_server}/classrooms/{classroom.pk}/monitor/")
    expect(teacher.locator("#connection")).to_have_text("connected")
    card = teacher.locator(f"#card-{session.pk}")
    expect(card).to_contain_text("alice")
    teacher.evaluate(RECORD_TUTOR_TEXT, session.pk)

    log_in(student, web_server, "alice", "alice-pw")
    student.goto(f"{web_server}/sessions/{session.pk}/")
    expect(student.locator("#connection")).to_have_text("connected")
    student.fill("#message", "3 bags and 6 apples, so I added them: 9")
    student.click("#message-form button[type=submit]")

    expect(card.locator(".turn.student .body")).to_contain_text("so I added them: 9")
    expect(card.locator(".turn.tutor.done .body")).to_have_text(SCRIPTED_REPLY, timeout=60_000)
    seen = [text for text in teacher.evaluate("window.seen") if text]
    partial = {text for text in seen if text != SCRIPTED_REPLY}
    assert len(partial) >= 2, f"the teacher saw the reply arrive in one piece: {seen}"
    assert all(SCRIPTED_REPLY.startswith(text) for text in partial)

    card.locator(".take-over button").click()
    expect(student.locator(".takeover-banner")).to_contain_text("teacher (teacher) is writing")
    card.locator(".teacher-message textarea").fill("Look again: 3 bags, 6 in each.")
    card.locator(".teacher-message button").click()
    teacher_turn = student.locator(".turn.teacher")
    expect(teacher_turn.locator(".who")).to_have_text("teacher (teacher)")
    expect(teacher_turn.locator(".body")).to_have_text("Look again: 3 bags, 6 in each.")

    student.fill("#message", "oh, 3 times 6")
    student.click("#message-form button[type=submit]")
    expect(card.locator(".turn.student .body").last).to_have_text("oh, 3 times 6")
    assert Turn.objects.filter(session=session, author="tutor").count() == 1  # tutor paused

    card.locator(".hand-back button").click()
    expect(student.locator(".takeover-banner")).to_be_hidden()
    # the message sent during the takeover is answered by the tutor after hand-back
    expect(student.locator(".turn.tutor.done")).to_have_count(2, timeout=60_000)
    student.fill("#message", "so 18")
    student.click("#message-form button[type=submit]")
    expect(student.locator(".turn.tutor.done")).to_have_count(3, timeout=60_000)
    expect(card.locator(".turn.tutor.done")).to_have_count(3)
    teacher.set_viewport_size({"width": 1280, "height": 800})
    teacher.screenshot(path="/work/wt/shots/i15/monitor-after-hand-back.png")
    stored = list(Turn.objects.filter(session=session).values_list("author", flat=True))
    assert stored == ["student", "tutor", "teacher", "student", "tutor", "student", "tutor"]
