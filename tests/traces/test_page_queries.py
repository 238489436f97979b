"""The trace pages cost the same queries for a handful of runs as for 30 times more, with
deeper span trees and more LLM calls (nothing is fetched per row); the list is paged and its
search reads an index."""

import pytest
from django.db import connection, transaction
from django.test import Client

from apps.traces import selectors
from apps.tutoring.models import Turn
from tests.classroom.factories import many_sessions
from tests.conftest import make_user
from tests.traces.factories import traced_runs

pytestmark = pytest.mark.django_db

# The session and user look-ups of the request, the count of matching runs, one page of them
# (with their users), the engines offered in the filter.
LIST_QUERIES = 5
# The session and user look-ups, the run (with its user), its spans, their calls.
DETAIL_QUERIES = 5


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(make_user("root", "admin"))
    return client


def add_traced_sessions(classroom, students, problem, n: int, *, spans: int = 3):
    """`n` sessions whose tutor turns were traced, and half as many ATLAS runs with no subject."""
    sessions = many_sessions(classroom, students, [problem], n)
    turns = Turn.objects.filter(session__in=sessions, author="tutor").select_related("session")
    runs = traced_runs(turns.order_by("pk"), user=students[0], spans=spans)
    traced_runs([None] * (n // 2), source="atlas", engine="vllm", spans=spans,
                completion="Compare the fractions first.")
    return sessions, runs


@pytest.mark.parametrize("query", ["", "q=bags", "source=tutoring&engine=embedded&user=alice",
                                   "thread={thread}", "page=2", "status=ok&since=2000-01-01"])
def test_trace_list_costs_the_same_queries_for_thirty_times_the_runs(
        query, admin_client, classroom, alice, bob, problem, django_assert_num_queries):
    sessions, _ = add_traced_sessions(classroom, [alice, bob], problem, 4)
    url = "/traces/?" + query.format(thread=sessions[0].trace_thread)
    with django_assert_num_queries(LIST_QUERIES):
        small = admin_client.get(url).content.decode()
    add_traced_sessions(classroom, [alice, bob], problem, 120, spans=8)
    with django_assert_num_queries(LIST_QUERIES):
        large = admin_client.get(url).content.decode()
    listed = (small.count('<td><a href="/traces/'), large.count('<td><a href="/traces/'))
    assert listed == {"q=bags": (4, 50), "source=tutoring&engine=embedded&user=alice": (4, 50),
                      "thread={thread}": (1, 1)}.get(query, (6, 50))


def test_trace_list_shows_fifty_runs_a_page(admin_client, classroom, alice, problem):
    add_traced_sessions(classroom, [alice], problem, 100)  # 100 tutor runs, 50 ATLAS runs
    page = admin_client.get("/traces/", {"source": "tutoring", "page": "2"}).content.decode()
    assert page.count('<td><a href="/traces/') == 50 and "page 2 of 2" in page
    assert '<a href="?source=tutoring&page=1">newer</a>' in page


def test_trace_detail_costs_the_same_queries_for_a_deeper_tree(
        admin_client, classroom, alice, problem, django_assert_num_queries):
    _, (shallow,) = add_traced_sessions(classroom, [alice], problem, 1, spans=2)
    _, (deep,) = add_traced_sessions(classroom, [alice], problem, 1, spans=12)
    add_traced_sessions(classroom, [alice], problem, 60)
    pages = []
    for run in (shallow, deep):
        with django_assert_num_queries(DETAIL_QUERIES):
            pages.append(admin_client.get(f"/traces/{run.pk}/").content.decode())
    assert [p.count('class="card span"') for p in pages] == [2, 12]
    assert [p.count('class="llm-call"') for p in pages] == [1, 11]
    assert f'href="/sessions/{deep.subject.session_id}/"' in pages[1]


def test_trace_search_reads_the_text_index(classroom, alice, problem):
    """The search reads the stored, indexed text vector, so Postgres need not parse every call's text."""
    add_traced_sessions(classroom, [alice], problem, 2)
    sql, params = selectors.runs(text="bags").query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: a scan would win otherwise
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "traces_llmcall_search" in plan, plan
