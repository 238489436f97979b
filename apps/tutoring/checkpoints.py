"""The tutor graph's checkpointer: LangGraph state in the app's own PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg import Connection
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row


def conninfo() -> str:
    """Connection string of the database Django uses (the test database under pytest)."""
    db = connection.settings_dict
    return make_conninfo(dbname=db["NAME"], user=db.get("USER") or None,
                         password=db.get("PASSWORD") or None, host=db.get("HOST") or None,
                         port=str(db["PORT"]) if db.get("PORT") else None)


@contextmanager
def tutor_checkpointer() -> Iterator[PostgresSaver]:
    """A PostgresSaver on its own connection, with its tables created if missing."""
    with Connection.connect(conninfo(), autocommit=True, prepare_threshold=0,
                            row_factory=dict_row) as conn:
        saver = PostgresSaver(conn)
        saver.setup()
        yield saver


def thread_id(session_id: int) -> str:
    """One checkpoint thread per tutoring session."""
    return f"tutoring-session-{session_id}"
