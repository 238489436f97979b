"""Fixtures shared by the suite: people, problems, and real worker / web processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from apps.accounts.models import Classroom, Enrolment, School, User
from apps.problems.models import Problem
from config.stack import stop_process, wait_until_answers

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"  # the datasets the product ships
SCRIPTED_REPLY = "Can you walk me through how you got that?"


@pytest.fixture(scope="session", autouse=True)
def _close_checkpointer_pools(django_db_setup, django_db_blocker):
    """Pooled checkpoint connections close before the test database is dropped."""
    yield
    from apps.tutoring.checkpoints import close_checkpointer_pools

    close_checkpointer_pools()


@pytest.fixture(autouse=True)
def _close_connections_of_async_tests(request):
    """Async tests run their ORM calls on asgiref's single sync thread; close its connection."""
    yield
    if request.node.get_closest_marker("asyncio"):
        from asgiref.sync import SyncToAsync
        from django.db import connections

        SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture(autouse=True)
def _clean_redis():
    """Each test starts with an empty test Redis database (queues, streams, rate limits)."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def make_user(username: str, role: str = "student") -> User:
    user = User.objects.create_user(username=username, password=f"{username}-pw", role=role)
    return user


@pytest.fixture
def problem(db) -> Problem:
    return Problem.objects.create(
        statement="Janet has 3 bags with 6 apples each. How many apples does she have?",
        gold_answer="18", solution="3 * 6 = 18\n#### 18", source="gsm8k/test", source_key="t1")


@pytest.fixture
def classroom(db) -> Classroom:
    teacher = make_user("teacher", "teacher")
    school = School.objects.create(name="Test School")
    room = Classroom.objects.create(school=school, name="7A", teacher=teacher)
    for name in ("alice", "bob"):
        Enrolment.objects.create(classroom=room, student=make_user(name))
    return room


@pytest.fixture
def alice(classroom) -> User:
    return User.objects.get(username="alice")


@pytest.fixture
def bob(classroom) -> User:
    return User.objects.get(username="bob")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_env() -> dict[str, str]:
    """Environment for a child process that must see the test database."""
    db = settings.DATABASES["default"]
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings",
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
               PYTHONUNBUFFERED="1")
    return env


def start_worker(name: str = "w1", **env: str) -> subprocess.Popen:
    """A real Celery worker on the test database, returned once it answers a ping."""
    env = {**process_env(), **env}
    node = f"{name}@{socket.gethostname()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,llm",
         "--concurrency", "1", "--pool", "prefork", "-n", node, "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 180  # generous: a loaded 2-core machine starts slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}")
        ping = subprocess.run([sys.executable, "-m", "celery", "-A", "config", "inspect", "ping",
                               "-d", node, "--timeout", "1"], cwd=ROOT, env=env,
                              capture_output=True)
        if ping.returncode == 0:
            return proc
    proc.kill()
    raise TimeoutError("celery worker did not start")


@pytest.fixture
def worker(transactional_db):
    """A real Celery worker for one test (it sees what the test commits)."""
    proc = start_worker()
    yield proc
    stop_process(proc)


@pytest.fixture
def web_server(transactional_db):
    """The ASGI app under daphne on a free port, on the test database."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                             "config.asgi:application"], cwd=ROOT, env=process_env(),
                            stderr=subprocess.DEVNULL)
    wait_until_answers(f"http://127.0.0.1:{port}/login/", proc, 30)
    yield f"http://127.0.0.1:{port}"
    stop_process(proc)




@pytest.fixture
def broker_down():
    """Point the Celery app at a closed port, then restore its connection pools."""
    from config.celery import app

    def reset_pools():
        app._pool, app.amqp._producer_pool = None, None

    saved_url = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    reset_pools()
    yield
    app.conf.broker_url = saved_url
    reset_pools()
