"""Added latency from an engine token to the page's websocket frame.

The page is a websocket client of a real Daphne server, logged in with a session cookie; the
tutor turn runs in this process (so the engine and the page share one clock) with a scripted
engine that stamps every token it streams. Each character the page receives is matched to
the token that carried it. Three rows, all from the same run:

- `transport floor`: a bare channel-layer message from sync code to a consumer of the same
  Daphne server and back to this client, no tutor, no HTML: the baseline;
- `telling allowed`: a turn the guard does not hold back, so this is what the platform adds
  (Redis replay list, channel layer, consumer, HTML fragment, websocket);
- `guarded`: the default turn, where the guard releases each sentence only when it is
  complete and clean; its latency includes that holdback, which is the product's choice.

    .venv/bin/python bench/streaming_latency.py [--turns 20] [--token-delay 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import threading
import time
from unittest import mock

import httpx
from common import bench_problem, free_port, percentile, setup_django, start, stop, wait_for

REPLY = ("Let us look at your second step together. What did you multiply there, and why? "
         "Think about what each bag holds before you add anything.")
SPAN = re.compile(r'<span data-seq="\d+">(.*?)</span>', re.S)


def log_in(base: str, username: str, password: str) -> str:
    """The Cookie header of a logged-in browser."""
    with httpx.Client(base_url=base) as client:
        client.get("/login/")
        token = client.cookies["csrftoken"]
        client.post("/login/", data={"username": username, "password": password,
                                     "csrfmiddlewaretoken": token},
                    headers={"Referer": f"{base}/login/"})
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


class StampedEngine:
    """A scripted engine that records when each streamed token leaves it."""

    def __init__(self, token_delay_s: float) -> None:
        from agents.llm import ScriptedEngine

        self.inner = ScriptedEngine([REPLY], token_delay_s=token_delay_s)
        self.engine, self.model = "scripted", "stamped"
        self.stamps: list[tuple[float, str]] = []

    def chat(self, messages, *, on_token=None, **kwargs):
        def stamp(token: str) -> None:
            self.stamps.append((time.perf_counter(), token))
            on_token(token)

        return self.inner.chat(messages, on_token=stamp if on_token else None, **kwargs)

    def complete(self, prompt, **kwargs):
        return self.inner.complete(prompt, **kwargs)


async def one_turn(ws, session, engine: StampedEngine, n: int) -> list[float]:
    """Per-token latency (ms) of one turn: page receipt of a token's last character minus the
    time the engine streamed it."""
    from asgiref.sync import sync_to_async

    from apps.tutoring import services

    engine.stamps.clear()
    with mock.patch.object(services, "_enqueue", lambda turn: None):
        _, turn = await sync_to_async(services.post_student_message)(session, f"I got {n + 20}.")
    worker = threading.Thread(target=services.run_turn, args=(turn.pk,))
    worker.start()
    received: list[tuple[float, str]] = []  # (time, text) per frame
    while True:
        frame = await asyncio.wait_for(ws.recv(), 30)
        now = time.perf_counter()
        if f'id="turn-{turn.pk}"' in frame and 'hx-swap-oob="outerHTML"' in frame:
            break
        if f"turn-{turn.pk}-body" in frame:
            received += [(now, html.unescape(m)) for m in SPAN.findall(frame)]
    await asyncio.to_thread(worker.join)
    arrival = [t for t, text in received for _ in text]  # per character
    latencies, offset = [], 0
    for sent, token in engine.stamps:
        offset += len(token)
        if offset <= len(arrival):
            latencies.append((arrival[offset - 1] - sent) * 1000)
    return latencies


async def transport_floor(ws_url: str, cookie: str, group: str, n: int) -> list[float]:
    """Round trips of a bare channel-layer message to the consumer of a session's page."""
    import websockets

    from apps.tutoring.streaming import group_send

    out = []
    async with websockets.connect(ws_url, additional_headers={"Cookie": cookie,
                                                              "Origin": ws_url}) as ws:
        for i in range(n):
            marker = f"floor-{i}-{time.time_ns()}"
            sent = time.perf_counter()
            await asyncio.to_thread(group_send, group, {"type": "session.html", "html": marker,
                                                        "group": group})
            while marker not in await asyncio.wait_for(ws.recv(), 10):
                pass
            out.append((time.perf_counter() - sent) * 1000)
    return out


async def measure(base: str, cookie: str, sessions: dict, engine, turns: int) -> dict:
    import websockets

    ws_base = base.replace("http", "ws")
    rows = {"transport floor": await transport_floor(
        f"{ws_base}/ws/sessions/{sessions['telling allowed'].pk}/", cookie,
        sessions["telling allowed"].group_name, turns * 10)}
    for name, session in sessions.items():
        url = f"{ws_base}/ws/sessions/{session.pk}/"
        async with websockets.connect(url, additional_headers={"Cookie": cookie,
                                                               "Origin": base}) as ws:
            rows[name] = [x for n in range(turns) for x in await one_turn(ws, session, engine, n)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20, help="turns per row")
    parser.add_argument("--token-delay", type=float, default=0.02,
                        help="seconds between the engine's tokens (0.02 = 50 tokens/s)")
    args = parser.parse_args()
    setup_django()
    from apps.accounts.models import Classroom, School, User
    from apps.tutoring import services

    problem = bench_problem()
    stamp = time.time_ns()
    student = User.objects.create_user(f"stream-{stamp}", password="bench-pass")
    teacher = User.objects.create_user(f"stream-teacher-{stamp}", password="bench-pass")
    school = School.objects.create(name=f"bench {stamp}")
    sessions = {}
    for name, budget in (("telling allowed", 0), ("guarded", 99)):
        room = Classroom.objects.create(school=school, name=name, teacher=teacher,
                                        telling_budget_turn=budget)
        room.students.add(student)
        sessions[name] = services.TutoringSession.objects.create(
            student=student, problem=problem, classroom=room)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = start(["daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port),
                 "config.asgi:application"])
    engine = StampedEngine(args.token_delay)
    try:
        wait_for(lambda: _answers(base))
        cookie = log_in(base, student.username, "bench-pass")
        with mock.patch.object(services, "get_llm", lambda: engine):
            rows = asyncio.run(measure(base, cookie, sessions, engine, args.turns))
    finally:
        stop(web)
    floor95 = percentile(rows["transport floor"], 95)
    print(f"engine pace {args.token_delay * 1000:.0f} ms/token, {args.turns} turns per row")
    print(f"{'row':>16} {'samples':>8} {'p50 ms':>8} {'p95 ms':>8} {'p95 over floor':>15}")
    for name, values in rows.items():
        p95 = percentile(values, 95)
        print(f"{name:>16} {len(values):>8} {percentile(values, 50):>8.1f} {p95:>8.1f} "
              f"{p95 - floor95:>15.1f}")


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/login/").status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
