"""Redis restarts during a session: the page reports the outage, recovers, and loses nothing."""

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from apps.tutoring.models import Turn, TutoringSession
from config.stack import stop_process, wait_until_answers
from tests.browser.conftest import log_in
from tests.conftest import ROOT, SCRIPTED_REPLY, free_port, process_env, start_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker]


class RedisServer:
    """A private redis-server, so that restarting it disturbs nothing else on the machine."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL)
        import redis

        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                subprocess.run(["sleep", "0.05"])
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture
def private_stack(transactional_db):
    server = RedisServer()
    server.start()
    env = {"REDIS_URL": server.url, "CELERY_BROKER_URL": server.url}
    worker = start_worker("outage", **env)
    port = free_port()
    web = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                            "config.asgi:application"], cwd=ROOT, env={**process_env(), **env},
                           stderr=subprocess.DEVNULL)
    wait_until_answers(f"http://127.0.0.1:{port}/login/", web, 30)
    yield server, f"http://127.0.0.1:{port}"
    stop_process(web)
    stop_process(worker)
    server.stop()


def test_page_reports_a_redis_restart_and_recovers_without_losing_turns(private_stack, alice,
                                                                         problem, browser_page):
    server, base_url = private_stack
    page = browser_page
    session = TutoringSession.objects.create(student=alice, problem=problem)
    log_in(page, base_url, "alice", "alice-pw")
    page.goto(f"{base_url}/sessions/{session.pk}/")
    expect(page.locator("#connection")).to_have_text("connected")
    page.fill("#message", "I think it is 9")
    page.click("#message-form button[type=submit]")
    expect(page.locator(".turn.tutor.done .body")).to_have_text(SCRIPTED_REPLY)

    server.stop()
    expect(page.locator("#connection")).to_contain_text("connection lost")
    page.fill("#message", "then 3 times 6 is 18")
    page.click("#message-form button[type=submit]")
    server.start()

    expect(page.locator("#connection")).to_have_text("connected", timeout=40_000)
    expect(page.locator(".turn.student")).to_have_count(2, timeout=60_000)
    expect(page.locator(".turn.tutor.done")).to_have_count(2, timeout=60_000)
    page.reload()
    expect(page.locator(".turn .body")).to_have_count(4)
    expect(page.locator(".turn.student .body").last).to_have_text("then 3 times 6 is 18")
    stored = list(Turn.objects.filter(session=session).values_list("author", "status"))
    assert stored == [("student", "done"), ("tutor", "done")] * 2
