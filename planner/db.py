"""The database: one engine per app, one session per request or job, SQLite tuned for sharing."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from planner import changes as _changes  # noqa: F401 - registers the data_version listeners

EXTENSION = "planner.db"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    # psycopg caches the parsing of small statements only: smaller multi-row INSERTs are faster
    return create_engine(url, pool_pre_ping=True, insertmanyvalues_page_size=100)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions[EXTENSION] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    bind = current_app.extensions[EXTENSION].kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def session() -> Session:
    """The session of the current request or job (one per app context)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions[EXTENSION]()
    return g.db_session  # type: ignore[no-any-return]


@contextmanager
def transaction() -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    s = session()
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()


def dispose() -> None:
    """Drop pooled connections (after a fork: children must open their own)."""
    engine().dispose(close=False)


def alembic_config(url: str) -> Any:
    from pathlib import Path

    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations to the database at `url` (`planner db upgrade`)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a bulk read or write allocates many objects
    that all stay alive until it ends (a batch of parsed events, a user's rows loaded as ORM
    objects): the collector would scan them, and every long-lived cache, again and again for
    nothing. It runs again once the block is done (memory stays bounded by the block)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def upsert(session: Session, table: Any) -> Any:
    """An INSERT of the session's dialect, which has `on_conflict_do_nothing` and
    `on_conflict_do_update` (SQLite and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
