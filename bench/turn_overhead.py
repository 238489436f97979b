"""What a tutoring turn adds over a bare gateway call, with the scripted engine.

Runs the real path (websocket consumer → Postgres → Celery worker → tutor graph → channel
layer → websocket) for 1, 20 and 50 concurrent sessions (`--sessions`) and, in the same run, the bare
`ScriptedEngine.chat` call with the same reply and token pace. Prints p50/p95 of both and the
overhead. Uses its own database (`tutorgraph_bench`) and Redis database 2.

    .venv/bin/python bench/turn_overhead.py [--turns 5] [--workers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from common import bench_problem, percentile, setup_django, start, stop


def bare_gateway(n: int) -> list[float]:
    from django.conf import settings

    from agents.llm import ScriptedEngine

    replies = json.loads(settings.LLM_SCRIPTED_REPLIES)
    engine = ScriptedEngine(replies, token_delay_s=settings.LLM_SCRIPTED_TOKEN_DELAY_S)
    out = []
    for _ in range(n):
        started = time.perf_counter()
        engine.chat([{"role": "user", "content": "I got 17."}], on_token=lambda t: None)
        out.append(time.perf_counter() - started)
    return out


async def one_session(student, problem, turns: int) -> tuple[list[float], int]:
    """Latencies of the session's turns that ended well, and the number that did not."""
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from apps.tutoring.models import TutoringSession
    from apps.tutoring.routing import websocket_urlpatterns
    from apps.tutoring.services import RETRY_MESSAGE

    session = await TutoringSession.objects.acreate(student=student, problem=problem)
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/sessions/{session.pk}/")
    ws.scope["user"] = student
    await ws.connect()
    # As the page does on every open (static/js/stream.js): without it, live events wait
    # RESUME_WAIT_S for a resume that never comes, and that wait is all the bench would show.
    await ws.send_to(text_data=json.dumps({"type": "resume", "turns": {}, "last_turn": 0}))
    latencies, errors = [], 0
    for i in range(turns):
        started = time.perf_counter()
        await ws.send_to(text_data=json.dumps({"type": "message", "text": f"I got {i + 20}."}))
        try:
            while 'hx-swap-oob="outerHTML"' not in (frame := await ws.receive_from(timeout=60)):
                pass
        except TimeoutError:
            errors += 1
            continue
        if RETRY_MESSAGE in frame:
            errors += 1
        else:
            latencies.append(time.perf_counter() - started)
    await ws.disconnect()
    return latencies, errors


async def concurrent_turns(sessions: int, turns: int) -> tuple[list[float], int, float]:
    from apps.accounts.models import User
    from apps.problems.models import Problem

    problem = await Problem.objects.aget(source="bench")
    students = [await User.objects.acreate(username=f"bench-{sessions}-{i}-{time.time_ns()}")
                for i in range(sessions)]
    started = time.perf_counter()
    results = await asyncio.gather(*(one_session(s, problem, turns) for s in students))
    wall = time.perf_counter() - started
    return [x for r, _ in results for x in r], sum(e for _, e in results), wall


async def rows(counts: list[int], turns: int, b50: float, b95: float) -> None:
    await concurrent_turns(1, 2)  # warm-up
    for sessions in counts:
        latencies, errors, wall = await concurrent_turns(sessions, turns)
        p50, p95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
        print(f"{sessions:>8} {len(latencies):>6} {errors:>6} {len(latencies) / wall:>8.1f} "
              f"{p50:>8.1f} {p95:>8.1f} {p50 - b50:>13.1f} {p95 - b95:>13.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5, help="turns per session")
    parser.add_argument("--workers", type=int, default=4, help="Celery worker processes")
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 20, 50],
                        help="concurrent sessions to measure, one row each")
    args = parser.parse_args()
    setup_django()
    bench_problem()
    worker = start(["celery", "-A", "config", "worker", "-Q", "default,llm", "--concurrency",
                    str(args.workers), "--loglevel", "WARNING", "-n", "bench@%h"])
    try:
        from config.celery import app

        while not app.control.ping(timeout=0.5):
            time.sleep(0.2)
        bare = bare_gateway(50)
        b50, b95 = percentile(bare, 50) * 1000, percentile(bare, 95) * 1000
        print(f"bare gateway call (scripted, same reply and pace): p50 {b50:.1f} ms  "
              f"p95 {b95:.1f} ms")
        print(f"{'sessions':>8} {'turns':>6} {'errors':>6} {'turns/s':>8} {'p50 ms':>8} "
              f"{'p95 ms':>8} {'overhead p50':>13} {'overhead p95':>13}")
        # One event loop for every row: the channel layer's connections belong to the loop
        # that opened them, and a second asyncio.run would find them bound to a closed one.
        asyncio.run(rows(args.sessions, args.turns, b50, b95))
        print(f"(worker processes: {args.workers}; mean bare call "
              f"{statistics.mean(bare) * 1000:.1f} ms)")
    finally:
        stop(worker)


if __name__ == "__main__":
    main()
