"""Shared fixtures: a fresh app and database per test, on SQLite and (when asked) PostgreSQL.

Service-backed tests (PostgreSQL, Redis, Chromium) run whenever the service is reachable; under
PLANNER_TEST_REQUIRE_SERVICES=1 (CI) a missing service fails the test instead of skipping it.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import create_engine, text

from planner import create_app
from planner.cli import main
from planner.db import upgrade

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytest_plugins = ["tests.localserver"]

DATA = Path(__file__).parent / "data"
POSTGRES_URL = os.environ.get(
    "PLANNER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_BASE = "redis://127.0.0.1:6379"
CLAIMS = range(2, 16, 2)  # a test run takes an even db n (and n + 1 for the politeness tests)


def claim_redis_db() -> str:
    """A Redis database of this test run's own, so that test runs side by side (a developer's
    and CI's) never flush each other's jobs: claimed by a key in db 0 that expires."""
    if "PLANNER_TEST_REDIS_URL" in os.environ:
        return os.environ["PLANNER_TEST_REDIS_URL"]
    try:
        from redis import Redis

        claims = Redis.from_url(f"{REDIS_BASE}/0", socket_connect_timeout=2)
        for number in CLAIMS:
            key = f"planner-test:claim:{number}"
            if claims.set(key, os.getpid(), nx=True, ex=3 * 3600):
                atexit.register(claims.delete, key)
                return f"{REDIS_BASE}/{number}"
    except Exception:  # no Redis here: the tests that need it say so
        pass
    return f"{REDIS_BASE}/{CLAIMS[0]}"


REDIS_URL = claim_redis_db()
REQUIRED = os.environ.get("PLANNER_TEST_REQUIRE_SERVICES") == "1"


def need(service: str, reason: str) -> NoReturn:
    """Skip (or, in CI, fail) a test whose service is missing."""
    message = f"{service} unavailable: {reason}"
    if REQUIRED:
        pytest.fail(message + " (PLANNER_TEST_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def postgres_error() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure means: not here
        return str(exc).splitlines()[0]
    return None


def redis_error() -> str | None:
    try:
        from redis import Redis

        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return str(exc)
    return None


@pytest.fixture(scope="session")
def postgres_schema_factory() -> Iterator[object]:
    """Makes an empty schema per test in the test database; drops them all at the end."""
    made: list[str] = []
    problem = postgres_error()

    def make() -> str:
        if problem:
            need("PostgreSQL", problem)
        name = f"t_{secrets.token_hex(6)}"
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
        engine.dispose()
        made.append(name)
        return name

    yield make
    if made:  # one transaction each: dropping hundreds at once runs out of lock slots
        engine = create_engine(POSTGRES_URL)
        for name in made:
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()


def database_url(backend: str, tmp_path: Path, schema_factory: object) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'planner.sqlite3'}"
    schema = schema_factory()  # type: ignore[operator]
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def make_app(url: str, tmp_path: Path, **extra: object) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-" + secrets.token_hex(8),
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "REDIS_URL": None,
        "OWNER_EMAIL": "owner@localhost",
        "ALLOW_PRIVATE_URLS": True,  # the test servers live on 127.0.0.1
        "HOST_DELAY": 0.0,
    }
    config.update(extra)
    app = create_app(config)
    upgrade(url)
    return app


@pytest.fixture(autouse=True)
def _fresh_politeness() -> Iterator[None]:
    """The per-process robots cache and host limiter start empty for every test."""
    from planner.politeness import forget_shared

    forget_shared()
    yield
    forget_shared()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The embedded default: SQLite, jobs in-process."""
    application = make_app(f"sqlite:///{tmp_path / 'planner.sqlite3'}", tmp_path)
    with application.app_context():
        yield application
        close(application)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The same app on each supported database."""
    url = database_url(request.param, tmp_path, request.getfixturevalue("postgres_schema_factory"))
    application = make_app(url, tmp_path)
    with application.app_context():
        yield application
        close(application)


def close(application: Flask) -> None:
    """Give back every connection (PostgreSQL keeps a schema per test until the session ends)."""
    from planner import db
    from planner.jobs import EXTENSION, wait_background

    wait_background()  # jobs on the in-process thread finish before the database goes
    db.session().close()
    db.engine().dispose()
    for queue in (application.extensions[EXTENSION]["queues"] or {}).values():
        queue.connection.close()


Run = Callable[..., Result]
Cli = Callable[..., Run]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """Makes `planner` command lines: `cli(database=None, *, upgrade=True, **env)` gives
    `run(*args, input=None, **env)`, which invokes one and returns click's Result. The database
    is a fresh SQLite file `cli.sqlite3` in tmp_path unless `database` names one; `db upgrade`
    runs first unless `upgrade=False`. `env` (PLANNER_X="value", or None to unset) changes the
    settings for the runner or, given to `run`, for one command."""
    import planner

    original = planner.create_app

    def make(database: str | None = None, *, upgrade: bool = True, **env: str | None) -> Run:
        settings = {
            "PLANNER_DEBUG": "1",
            "PLANNER_INSTANCE_PATH": str(tmp_path / "instance"),
            "PLANNER_DATABASE_URL": database or f"sqlite:///{tmp_path / 'cli.sqlite3'}",
            # unset, so that the developer's shell never reaches Redis, a geocoder or a mailbox
            "PLANNER_REDIS_URL": None,
            "PLANNER_SECRET_KEY": None,
            "PLANNER_GEOCODER": None,
            "PLANNER_SMTP_URL": None,
        } | env

        def run(*args: str, input: str | None = None, **more: str | None) -> Result:  # noqa: A002
            made: list[Flask] = []

            def create_app(*given: object, **named: object) -> Flask:
                made.append(application := original(*given, **named))  # type: ignore[arg-type]
                return application

            # each command's app finishes its in-process jobs and gives its connections back,
            # as the process would on exit (PostgreSQL would otherwise keep them open)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(planner, "create_app", create_app)
                result = CliRunner().invoke(main, list(args), env=settings | more, input=input)
            for application in made:
                with application.app_context():
                    close(application)
            return result

        if upgrade:
            assert run("db", "upgrade").exit_code == 0
        return run

    return make


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        need("Chromium", "install Debian's chromium package (make test does)")
    return path


@pytest.fixture
def chromium_browser(chromium: str) -> Iterator[Browser]:
    """Debian's Chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    from tests.browser import LAUNCH_ARGS

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def multi(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """Multi-user mode on each database, with two accounts: ann@ and bob@example.org (password
    `tests.accounts.PASSWORD`)."""
    from datetime import UTC, datetime

    from planner import db
    from planner.accounts import create_user
    from tests.accounts import PASSWORD

    url = database_url(request.param, tmp_path, request.getfixturevalue("postgres_schema_factory"))
    application = make_app(url, tmp_path, MODE="multi")
    with application.app_context():
        session = db.session()
        for name in ("ann", "bob"):
            create_user(session, f"{name}@example.org", PASSWORD, datetime.now(UTC))
        session.commit()
        yield application
        close(application)
