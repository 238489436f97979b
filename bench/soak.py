"""Soak: N simulated students chat for a while with random idle gaps, as a cluster would run.

Two Daphne processes on different ports share Redis and Postgres; students' sockets go to
one, the teachers' live monitors to the other, and Celery workers run separately, so a turn
streamed through one node must reach the monitor on the other. The engine is the scripted
one (LLM_ENGINE=scripted): the LLM is not what is measured.

Each student keeps an outbox like the page does: a message is resent under the same client id
after a reconnect until the server acknowledges it. Printed: unexpected closes by close code
(the server's close frames as the clients saw them, and connections that dropped), messages
sent vs stored, duplicates, unanswered turns, tutor turns that reached the other node's
monitor, and p50/p95 reply latency (send -> stored reply on the page).

    python bench/soak.py                         # 50 students, 10 minutes, idle gaps <= 30 s
    python bench/soak.py --students 20 --minutes 3

Uses its own database and Redis database (SOAK_DATABASE_URL / SOAK_REDIS_URL to change).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import free_port, percentile  # noqa: E402

DB = os.environ.get("SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tutorgraph_soak")
ENV = {"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": DB,
       "REDIS_URL": os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/15"),
       "CHANNELS_PREFIX": "tg-soak", "LLM_ENGINE": "scripted",
       "LLM_SCRIPTED_TOKEN_DELAY_S": "0.01", "LLM_RATE_LIMIT_PER_MINUTE": "100000",
       "LOG_LEVEL": "WARNING", "MISCONCEPTION_METHOD": "retrieval"}
ACK = re.compile(r'data-ack="([^"]*)" data-result="(\w+)"')
DONE = re.compile(r'class="turn tutor (?:done|failed)" id="turn-(\d+)"')
TURN = re.compile(r'id="turn-(\d+)" data-turn')


def setup(students: int, per_class: int) -> tuple[list, list]:
    """A fresh database with classes of students, one open session each; returns
    [(session id, cookie)] of the students and [(classroom id, cookie)] of the teachers."""
    import psycopg
    import redis

    os.environ.update(ENV)
    name = DB.rsplit("/", 1)[1]
    with psycopg.connect(DB.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(ENV["REDIS_URL"]).flushdb()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from apps.accounts.models import Classroom, Enrolment, School, User
    from apps.problems.models import Problem
    from apps.tutoring import services

    call_command("migrate", verbosity=0)
    problem = Problem.objects.create(statement="3 bags of 6 apples. How many apples?",
                                     gold_answer="18", solution="3*6=18\n#### 18",
                                     source="demo", source_key="soak")
    school = School.objects.create(name="Soak School")

    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        return f"sessionid={client.cookies['sessionid'].value}"

    pupils, teachers = [], []
    for n in range(students):
        if n % per_class == 0:
            teacher = User.objects.create_user(f"teacher{n // per_class}", role="teacher")
            room = Classroom.objects.create(school=school, name=f"class {n // per_class}",
                                            teacher=teacher)
            teachers.append((room.pk, cookie(teacher)))
        student = User.objects.create_user(f"student{n}", role="student")
        Enrolment.objects.create(classroom=room, student=student)
        pupils.append((services.start_session(student, problem).pk, cookie(student)))
    return pupils, teachers


class Stats:
    def __init__(self) -> None:
        self.closes: Counter = Counter()  # close code (or "dropped") -> count
        self.sent: set[str] = set()
        self.acked: set[str] = set()
        self.latencies: list[float] = []
        self.monitor_done: set[int] = set()
        self.monitor_closes: Counter = Counter()
        self.errors: Counter = Counter()


def closed_code(exc) -> str:
    rcvd = getattr(exc, "rcvd", None)
    return str(rcvd.code) if rcvd is not None else "dropped (no close frame)"


async def student(base: str, session_id: int, cookie: str, deadline: float, max_idle: float,
                  stats: Stats, rng: random.Random) -> None:
    """Chat until the deadline: idle, send, wait for the stored reply; reconnect on a close."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    outbox: list[tuple[str, str, float]] = []  # (client id, text, first sent at)
    last_turn = 0  # the newest turn this "page" shows: a resume asks for the ones after it

    async def recv() -> str:
        nonlocal last_turn
        frame = await ws.recv()
        last_turn = max([last_turn, *map(int, TURN.findall(frame))])
        return frame

    while time.monotonic() < deadline:
        try:
            async with connect(f"{base.replace('http', 'ws')}/ws/sessions/{session_id}/",
                               origin=base, additional_headers={"Cookie": cookie},
                               open_timeout=30, ping_interval=None) as ws:
                await ws.send(json.dumps({"type": "resume", "turns": {},
                                          "last_turn": last_turn}))
                while time.monotonic() < deadline:
                    if not outbox:
                        await asyncio.sleep(rng.uniform(0, max_idle))
                        if time.monotonic() >= deadline:
                            return
                        outbox.append((uuid.uuid4().hex, f"I think it is {rng.randint(1, 17)}.",
                                       time.monotonic()))
                    client_id, text, started = outbox[0]
                    stats.sent.add(client_id)
                    await ws.send(json.dumps({"type": "message", "text": text,
                                              "client_id": client_id}))
                    result = None
                    async with asyncio.timeout(120):
                        while result is None:
                            found = ACK.search(await recv())
                            if found and found[1] == client_id:
                                result = found[2]
                    if result == "busy" or result == "retry":
                        stats.errors[f"ack {result}"] += 1
                        await asyncio.sleep(2)
                        continue
                    if result != "stored":
                        stats.errors[f"ack {result}"] += 1
                        outbox.pop(0)
                        continue
                    stats.acked.add(client_id)
                    async with asyncio.timeout(120):  # the reply, stored, on the page
                        while not DONE.search(await recv()):
                            pass
                    stats.latencies.append(time.monotonic() - started)
                    outbox.pop(0)
        except ConnectionClosed as exc:
            stats.closes[closed_code(exc)] += 1
        except TimeoutError:
            stats.errors["no reply within 120 s"] += 1
        except OSError as exc:
            stats.errors[f"connect: {type(exc).__name__}"] += 1
            await asyncio.sleep(1)


async def monitor(base: str, classroom_id: int, cookie: str, deadline: float,
                  stats: Stats) -> None:
    """A teacher's live monitor on the other node: counts finished tutor turns it sees."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    while time.monotonic() < deadline:
        try:
            async with connect(f"{base.replace('http', 'ws')}/ws/classrooms/{classroom_id}/monitor/",
                               origin=base, additional_headers={"Cookie": cookie},
                               open_timeout=30, ping_interval=None) as ws:
                await ws.send(json.dumps({"type": "resume", "turns": {}}))
                while True:
                    remaining = deadline + 30 - time.monotonic()  # drain the last replies
                    if remaining <= 0:
                        return
                    try:
                        frame = await asyncio.wait_for(ws.recv(), timeout=remaining)
                    except TimeoutError:
                        return
                    stats.monitor_done.update(map(int, DONE.findall(frame)))
        except ConnectionClosed as exc:
            stats.monitor_closes[closed_code(exc)] += 1
        except OSError:
            await asyncio.sleep(1)


def start(args: list[str], log: Path):
    import subprocess

    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env={**os.environ},
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


def wait_for(url: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def report(stats: Stats, args, wall_s: float) -> None:
    from apps.tutoring.models import Turn

    student_turns = Turn.objects.filter(author="student", session__origin="student")
    stored_ids = list(student_turns.values_list("client_id", flat=True))
    tutor = Turn.objects.filter(author="tutor")
    unanswered = student_turns.exclude(replies__author="tutor").count()
    not_done = tutor.exclude(status="done").count()
    done_ids = set(tutor.filter(status="done").values_list("pk", flat=True))
    lat = stats.latencies
    print(f"soak: {args.students} students, {args.minutes} min, idle gaps <= {args.max_idle} s, "
          f"{args.workers} workers x {args.concurrency}, wall {wall_s:.0f} s")
    print(f"messages sent (distinct client ids): {len(stats.sent)}; acknowledged: "
          f"{len(stats.acked)}; stored: {len(stored_ids)}; lost (acked, not stored): "
          f"{len(stats.acked - set(stored_ids))}")
    print(f"duplicate student turns: {len(stored_ids) - len(set(stored_ids))}; tutor turns: "
          f"{tutor.count()} (not done: {not_done}); student turns unanswered: {unanswered}")
    print(f"unexpected closes, student sockets (node A): {dict(stats.closes) or 0}")
    print(f"unexpected closes, monitor sockets (node B): {dict(stats.monitor_closes) or 0}")
    print(f"finished tutor turns seen by the monitors on the other node: "
          f"{len(stats.monitor_done & done_ids)} of {len(done_ids)}")
    if lat:
        print(f"reply latency (send -> stored reply on the page): p50 {percentile(lat, 50):.2f} s,"
              f" p95 {percentile(lat, 95):.2f} s, max {max(lat):.2f} s over {len(lat)} replies")
    if stats.errors:
        print(f"other events: {dict(stats.errors)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--max-idle", type=float, default=30)
    parser.add_argument("--per-class", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", default=str(ROOT / "bench" / "out" / "soak"))
    args = parser.parse_args()
    pupils, teachers = setup(args.students, args.per_class)
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    ports = free_port(), free_port()
    procs = [start(["daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                   logs / f"daphne-{port}.log") for port in ports]
    procs += [start(["celery", "-A", "config", "worker", "-Q", "default,llm", "--concurrency",
                     str(args.concurrency), "-n", f"soak{i}@%h", "--without-gossip",
                     "--without-mingle", "--loglevel", "WARNING"], logs / f"worker-{i}.log")
              for i in range(args.workers)]
    stats = Stats()
    try:
        a, b = (f"http://127.0.0.1:{port}" for port in ports)
        wait_for(f"{a}/login/")
        wait_for(f"{b}/login/")
        time.sleep(5)  # workers up
        rng = random.Random(args.seed)
        started = time.monotonic()
        deadline = started + args.minutes * 60

        async def run() -> None:
            await asyncio.gather(
                *(monitor(b, room, cookie, deadline, stats) for room, cookie in teachers),
                *(student(a, session, cookie, deadline, args.max_idle, stats,
                          random.Random(rng.random())) for session, cookie in pupils))

        asyncio.run(run())
        time.sleep(2)
        report(stats, args, time.monotonic() - started)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except Exception:
                proc.kill()


if __name__ == "__main__":
    main()
