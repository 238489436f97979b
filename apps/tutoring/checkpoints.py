"""The tutor graph's checkpointer: LangGraph state in the app's own PostgreSQL database."""

from __future__ import annotations

import os

from django.db import connection
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool


def conninfo() -> str:
    """Connection string of the database Django uses (the test database under pytest)."""
    db = connection.settings_dict
    return make_conninfo(dbname=db["NAME"], user=db.get("USER") or None,
                         password=db.get("PASSWORD") or None, host=db.get("HOST") or None,
                         port=str(db["PORT"]) if db.get("PORT") else None)


_savers: dict[tuple[int, str], PostgresSaver] = {}


def tutor_checkpointer() -> PostgresSaver:
    """This process's saver for Django's database: one small pool per process and database (a
    forked worker makes its own), its tables created on first use."""
    key = (os.getpid(), conninfo())
    if key not in _savers:
        pool = ConnectionPool(key[1], min_size=1, max_size=4, open=True,
                              name="tutor-checkpoints",
                              kwargs={"autocommit": True, "prepare_threshold": 0,
                                      "row_factory": dict_row})
        saver = PostgresSaver(pool)
        saver.setup()
        _savers[key] = saver
    return _savers[key]


def close_checkpointer_pools() -> None:
    """Close this process's pooled checkpoint connections (before a test database is dropped)."""
    for (pid, _), saver in list(_savers.items()):
        if pid == os.getpid():
            saver.conn.close()
    _savers.clear()


def thread_id(session_id: int) -> str:
    """One checkpoint thread per tutoring session."""
    return f"tutoring-session-{session_id}"
