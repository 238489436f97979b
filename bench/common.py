"""Set-up shared by the benches that run the app: their own database and Redis database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "tutorgraph_bench"
ENV = {"DJANGO_SETTINGS_MODULE": "config.settings",
       "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
       "REDIS_URL": "redis://127.0.0.1:6379/2", "CHANNELS_PREFIX": "tg-bench",
       "LLM_ENGINE": "scripted", "LLM_SCRIPTED_TOKEN_DELAY_S": "0.005",
       "LLM_RATE_LIMIT_PER_MINUTE": "100000", "LOG_LEVEL": "WARNING"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def setup_django(**env: str) -> None:
    """Point this process at the bench database (created and migrated if needed)."""
    import psycopg

    os.environ.update({**ENV, **env})
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname=%s", [DB_NAME]).fetchone():
            c.execute(f"CREATE DATABASE {DB_NAME}")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_problem():
    from apps.problems.models import Problem

    problem, _ = Problem.objects.get_or_create(source="bench", source_key="1", defaults={
        "statement": "3 bags of 6 apples. How many apples?", "gold_answer": "18",
        "solution": "3*6=18\n#### 18"})
    return problem


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str]) -> subprocess.Popen:
    """A process of the app (worker, web server) with the bench's environment."""
    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env={**os.environ})


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(check, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit("a process of the bench did not start")
        time.sleep(0.2)
