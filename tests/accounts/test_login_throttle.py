"""Login throttling: the username is locked after LOGIN_MAX_FAILURES wrong passwords however
they are spelled or however many arrive at once; the address is only rate-limited."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import make_user

LOCKED = "Too many failed log-ins for this username"
WRONG = "Please enter a correct username and password"


def log_in(username: str, password: str) -> str:
    """POST the login form; 'ok', 'locked', 'wrong' or 'busy'."""
    try:
        response = Client().post("/login/", {"username": username, "password": password})
    finally:
        if threading.current_thread() is not threading.main_thread():
            connection.close()  # a pool thread's own connection
    if response.status_code == 302:
        return "ok"
    html = response.content.decode()
    return "locked" if LOCKED in html else "wrong" if WRONG in html else "busy"


@pytest.mark.django_db(transaction=True)
def test_thirty_parallel_wrong_passwords_check_only_as_many_as_the_limit(settings):
    settings.LOGIN_MAX_FAILURES = 5
    make_user("alice")
    with ThreadPoolExecutor(max_workers=30) as pool:
        results = list(pool.map(lambda _: log_in("alice", "wrong"), range(30)))
    assert (results.count("wrong"), results.count("locked")) == (5, 25)
    assert log_in("alice", "alice-pw") == "locked"  # the right password waits out the lock too


@pytest.mark.django_db
def test_every_spelling_of_a_username_shares_one_lock(settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("alice")
    assert [log_in(name, "wrong") for name in ("alice", "ALICE", "\uff21lice")] == ["wrong"] * 3
    assert log_in(" Alice", "alice-pw") == "locked"


@pytest.mark.django_db
def test_a_locked_username_does_not_lock_the_others_at_the_same_address(settings):
    settings.LOGIN_MAX_FAILURES = 2
    make_user("alice")
    make_user("bob")
    assert [log_in("alice", "wrong") for _ in range(3)] == ["wrong", "wrong", "locked"]
    assert log_in("bob", "bob-pw") == "ok"  # same address (a school's NAT): not locked out


@pytest.mark.django_db
def test_the_address_is_rate_limited_per_minute(settings):
    settings.LOGIN_ADDRESS_PER_MINUTE = 3
    make_user("bob")
    assert [log_in(f"guess{n}", "x") for n in range(3)] == ["wrong"] * 3
    assert log_in("bob", "bob-pw") == "busy"


@pytest.mark.django_db
def test_a_success_clears_the_count(settings):
    settings.LOGIN_MAX_FAILURES = 2
    make_user("alice")
    assert [log_in("alice", p) for p in ("wrong", "alice-pw", "wrong", "wrong")] == [
        "wrong", "ok", "wrong", "wrong"]
