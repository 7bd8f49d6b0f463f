"""Faults survived, against the machine's PostgreSQL and Redis with real `worker.py` processes:
a worker killed in the middle of a refresh, two workers on one source, Redis restarted under the
web app, the database gone for a few seconds, a site that hangs or trickles, a digest job killed
after the send. Each test counts rows exactly, so anything lost or doubled fails it.

Where RQ would make a test wait, its own registries are moved on instead of sleeping: a dead
worker's job is found abandoned by `StartedJobRegistry.cleanup(timestamp=...)` with a cutoff
past the worker's last heartbeat (which lapses 90 s after it died), and a retry waiting in the
`ScheduledJobRegistry` is rescheduled to now with `ScheduledJobRegistry.schedule`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from shutil import which
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from planner import db
from planner.jobs import QUEUES, due_sources, enqueue, enqueue_refresh, refresh_source
from planner.models import Event, EventSource, Source, SourceGroup
from planner.sources import add_source, owner
from tests.accounts import csrf_token
from tests.conftest import REDIS_URL, close, database_url, make_app, need, redis_error
from tests.localserver import LocalServer

ROOT = Path(__file__).parent.parent
pytestmark = pytest.mark.redis
WAIT = 120.0  # the longest any awaited state may take on a busy machine
HEARTBEAT_LAPSE = 120  # seconds after which a dead worker's job counts as abandoned (RQ: 90)

# --- the calendar served, in three versions ------------------------------------------------------

# uid -> (title, hours after the first midnight to come)
Talks = dict[str, tuple[str, int]]
V1: Talks = {f"talk-{i}@faults.test": (f"Talk {i}", 24 * i + 18) for i in range(1, 7)}
V2: Talks = {  # talk 1 moved, talk 2 renamed, talk 6 dropped, talk 7 new
    **{uid: talk for uid, talk in V1.items() if uid != "talk-6@faults.test"},
    "talk-1@faults.test": ("Talk 1", 24 + 19),
    "talk-2@faults.test": ("Talk 2: renamed", 48 + 18),
    "talk-7@faults.test": ("Talk 7", 24 * 7 + 18),
}
V3: Talks = {uid: talk for uid, talk in V2.items() if uid != "talk-7@faults.test"}  # dropped
VERSIONS = {1: V1, 2: V2, 3: V3}
EVENT_ROWS = {1: 6, 2: 7, 3: 7}  # events ever stored (a dropped one stays, marked gone)


def calendar(talks: Talks, now: datetime, name: str = "", about: str = "") -> bytes:
    """An iCal feed of `talks` around `now`; `name` prefixes every uid and title, `about` is
    every event's description."""
    midnight = datetime.combine(now.date() + timedelta(days=1), clock(), UTC)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//faults//test//EN"]
    for uid, (title, hours) in talks.items():
        start = midnight + timedelta(hours=hours)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{name}{uid}",
            "DTSTAMP:20240101T000000Z",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{start + timedelta(hours=2):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{name}{title}",
            *([f"DESCRIPTION:{about}"] if about else []),
            "END:VEVENT",
        ]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def live_titles(version: int, name: str = "") -> set[str]:
    return {f"{name}{title}" for title, _ in VERSIONS[version].values()}


# --- the database as it is now, read afresh ----------------------------------------------------


def count(model: Any, *where: Any) -> int:
    session = db.session()
    found = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    session.commit()  # no transaction left open next to the workers
    return found


def state_of(source_id: int) -> dict[str, Any]:
    """Every column of the source, as committed."""
    session = db.session()
    session.expire_all()
    source = session.get(Source, source_id)
    assert source is not None
    values = {column.key: getattr(source, column.key) for column in Source.__table__.columns}
    session.commit()
    return values


def assert_version(source_ids: list[int], version: int, body: bytes, name: str = "") -> None:
    """The sources (each serving `body`, calendar `version`) are stored exactly: each event
    once, each source's link to it once, the gone ones marked, the source's health whole."""
    session = db.session()
    session.expire_all()
    rows = session.execute(select(Event.title, Event.gone_at).where(Event.title.like(f"{name}%")))
    titles = [(title, gone is None) for title, gone in rows]
    session.commit()
    assert len(titles) == EVENT_ROWS[version], titles  # nothing doubled, nothing lost
    assert {title for title, live in titles if live} == live_titles(version, name)
    live = len(VERSIONS[version])
    for source_id in source_ids:
        assert count(EventSource, EventSource.source_id == source_id) == EVENT_ROWS[version]
        live_links = (EventSource.source_id == source_id, EventSource.gone_at.is_(None))
        assert count(EventSource, *live_links) == live
        assert count(SourceGroup, SourceGroup.source_id == source_id) == live
        state = state_of(source_id)
        assert state["content_hash"] == hashlib.sha256(body).hexdigest()
        assert state["etag"] == '"' + hashlib.sha256(body).hexdigest() + '"'
        assert state["events_found"] == live
        assert state["last_error"] is None and state["consecutive_failures"] == 0
        assert state["next_fetch_at"] == state["ok_at"] + timedelta(
            seconds=state["refresh_interval"]
        )


# --- services and workers ------------------------------------------------------------------------


def wait_for(condition: Callable[[], object], what: str, log: Callable[[], str] = str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited in vain for {what}\n{log()}")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis_db() -> Iterator[Redis]:
    """This test run's Redis database, empty."""
    problem = redis_error()
    if problem:
        need("Redis", problem)
    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield connection
    connection.close()


@pytest.fixture
def both(any_app: Flask, redis_db: Redis) -> Flask:
    """The app on SQLite and on PostgreSQL, its jobs on Redis."""
    any_app.config["REDIS_URL"] = REDIS_URL
    return any_app


@pytest.fixture
def pg(tmp_path: Path, postgres_schema_factory: object, redis_db: Redis) -> Iterator[Flask]:
    """The app on PostgreSQL, its jobs on Redis."""
    url = database_url("postgres", tmp_path, postgres_schema_factory)
    app = make_app(url, tmp_path, REDIS_URL=REDIS_URL)
    with app.app_context():
        yield app
        close(app)


class WorkerProcess:
    """`python worker.py ARGS` on the app's database and Redis, its log in a file. On
    PostgreSQL its connections carry the application name `tag`, so the test can see them."""

    def __init__(self, app: Flask, *args: str, tag: str = "", **settings: str) -> None:
        url = app.config["DATABASE_URL"]
        if tag and url.startswith("postgresql"):
            url = make_url(url).update_query_dict({"application_name": tag})
            url = url.render_as_string(hide_password=False)
        env = dict(
            os.environ,
            PLANNER_DATABASE_URL=settings.pop("DATABASE_URL", url),
            PLANNER_REDIS_URL=app.config["REDIS_URL"],
            PLANNER_DEBUG="1",
            PLANNER_INSTANCE_PATH=app.instance_path,
            PLANNER_ALLOW_PRIVATE_URLS="1",  # the test servers live on 127.0.0.1
            PLANNER_HOST_DELAY="0",
        )
        env.update({f"PLANNER_{name}": value for name, value in settings.items()})
        self.log_path = Path(app.instance_path) / f"worker-{secrets.token_hex(4)}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "worker.py", *args],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def horse(self) -> int:
        """The pid of the work horse the worker forked for its job (a worker without its
        scheduler has no other child)."""
        children = self.children()
        assert len(children) == 1, (children, self.log())
        return children[0]

    def kill(self) -> None:
        """SIGKILL the work horse, then the worker: nothing of theirs runs any more."""
        os.kill(self.horse(), signal.SIGKILL)
        self.process.kill()
        self.process.wait(30)

    def finish(self) -> str:
        """Wait for a `--burst` worker to quit; its log."""
        assert self.process.wait(WAIT) == 0, self.log()
        return self.log()

    def children(self) -> list[int]:
        pid = self.process.pid
        with suppress(OSError):
            return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return []

    def stop(self) -> None:
        """A warm shutdown (the worker finishes its job and stops its scheduler); a worker that
        does not stop in time is killed, with what it started."""
        if self.process.poll() is not None:
            return
        started = self.children()
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            for pid in started:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait(30)

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_burst(app: Flask, *args: str, **settings: str) -> str:
    """A worker that takes every queued job (and, with its scheduler, every retry that is due),
    then quits; its log."""
    with WorkerProcess(app, "--burst", "--with-scheduler", *args, **settings) as worker:
        return worker.finish()


def fetching(job: Job, server: LocalServer, path: str, since: int = 0) -> Callable[[], bool]:
    """Whether `job` runs and has asked `server` for `path` (among requests from `since` on)."""

    def check() -> bool:
        asked = any(r.path == path for r in server.requests[since:])
        return asked and status_of(job) == "started"

    return check


def status_of(job: Job) -> str:
    job.refresh()
    status = job.get_status()
    return str(getattr(status, "value", status))  # "started", "finished", ...


def retrying(job: Job, retries_left: int) -> bool:
    """Whether `job` waits for a retry with that many left (RQ sets the status first)."""
    return status_of(job) == "scheduled" and job.retries_left == retries_left


def finished(*jobs: Job) -> Callable[[], bool]:
    def check() -> bool:
        states = [status_of(job) for job in jobs]
        assert "failed" not in states, [job.latest_result() for job in jobs]
        return states == ["finished"] * len(jobs)

    return check


def idle(connection: Redis) -> bool:
    """No job queued or running on any queue (follow-up jobs too)."""
    queues = [Queue(name, connection=connection) for name in QUEUES]
    return all(q.count == 0 and q.started_job_registry.count == 0 for q in queues)


def come_back(job: Job) -> None:
    """What RQ does with the job of a worker that died, once the worker's heartbeat has lapsed
    (the registry's own cleanup, with its cutoff that much later): it has retries left, so it
    waits for its retry; its wait is then moved to now (the retry is due)."""
    queue = Queue(job.origin, connection=job.connection)
    started = StartedJobRegistry(queue=queue)
    assert job.id in started.get_job_ids(cleanup=False)  # RQ does not know the worker is gone
    before = job.retries_left or 0
    started.cleanup(timestamp=time.time() + HEARTBEAT_LAPSE)
    assert retrying(job, before - 1)
    retry_now(job)


def retry_now(job: Job) -> None:
    """A job waiting in the ScheduledJobRegistry for its retry: due now."""
    registry = ScheduledJobRegistry(queue=Queue(job.origin, connection=job.connection))
    assert job.id in registry.get_job_ids()
    registry.schedule(job, datetime.now(UTC))


# --- PostgreSQL seen from outside -------------------------------------------------------------


@contextmanager
def owner_row_held(app: Flask, owner_id: int) -> Iterator[Any]:
    """Hold the owner's row so that no refresh of theirs can commit: a refresh bumps the row's
    data_version last, just before COMMIT, so a worker waits there with everything else
    written (FOR NO KEY UPDATE: inserting events, whose key refers to the row, still goes on).
    Yields the connection, for looking at the workers' sessions; leaving lets them go."""
    engine = create_engine(app.config["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            connection.execute(
                text("SELECT id FROM users WHERE id = :id FOR NO KEY UPDATE"), {"id": owner_id}
            )
            yield connection
            connection.rollback()
    finally:
        engine.dispose()


def waiting(connection: Any, tag: str) -> list[str]:
    """The statements that sessions named `tag` are waiting on a lock with, now (not as this
    transaction first saw them)."""
    connection.execute(text("SELECT pg_stat_clear_snapshot()"))
    found = connection.execute(
        text(
            "SELECT query FROM pg_stat_activity "
            "WHERE application_name = :tag AND wait_event_type = 'Lock'"
        ),
        {"tag": tag},
    )
    return [row[0] for row in found]


# --- 1. a worker killed with SIGKILL in the middle of a refresh ---------------------------------


def stored_v1(server: LocalServer, now: datetime) -> tuple[int, int]:
    """A source whose calendar version 1 was read; (source id, owner id)."""
    session = db.session()
    user = owner(session)
    source = add_source(session, user, server.add("/talks.ics", calendar(V1, now)))
    session.commit()
    assert refresh_source(source.id, now.isoformat())["ok"]
    assert_version([source.id], 1, calendar(V1, now))
    return source.id, user.id


def recover(app: Flask, server: LocalServer, job: Job, source_id: int, now: datetime) -> None:
    """The killed job comes back through RQ (abandoned, retried) and a new worker finishes it:
    calendar version 2, exactly; a second delivery of the same job changes nothing."""
    server.add("/talks.ics", calendar(V2, now))  # the site answers at once from now on
    come_back(job)
    log = run_burst(app)
    assert status_of(job) == "finished", log
    assert_version([source_id], 2, calendar(V2, now))
    assert refresh_source(source_id, now.isoformat(), force=True)["ok"]  # delivered again
    assert_version([source_id], 2, calendar(V2, now))


def test_a_worker_killed_while_fetching_leaves_the_old_state_and_rq_runs_it_again(
    both: Flask, local_server: LocalServer
) -> None:
    """SIGKILL to the work horse and the worker while the new calendar trickles in: the
    source keeps its old events and its old state, every column (so its next refresh time was
    not moved on: the schedule queues it then, even if RQ had no retry left); RQ finds the job
    abandoned and retries it; the new worker stores the new calendar exactly once."""
    now = datetime.now(UTC)
    source_id, _ = stored_v1(local_server, now)
    before = state_of(source_id)
    local_server.add("/talks.ics", calendar(V2, now), trickle=0.05)  # a minute for the body
    job = enqueue_refresh(source_id, now)
    asked = len(local_server.requests)
    with WorkerProcess(both) as worker:
        wait_for(fetching(job, local_server, "/talks.ics", asked), "the fetch", worker.log)
        worker.kill()
    assert status_of(job) == "started"
    assert state_of(source_id) == before  # not half-written: the old state, whole
    assert source_id in due_sources(before["next_fetch_at"])  # the schedule's turn stays
    assert_version([source_id], 1, calendar(V1, now))
    recover(both, local_server, job, source_id, now)


@pytest.mark.postgres
def test_a_worker_killed_while_writing_commits_nothing_and_rq_runs_it_again(
    pg: Flask, local_server: LocalServer
) -> None:
    """SIGKILL while the refresh has written every row of the new calendar and waits to commit
    (held at its last statement, the owner's data_version): PostgreSQL rolls all of it back,
    so the old events and the old source state stay, whole; the retry stores the new calendar
    exactly once."""
    now = datetime.now(UTC)
    source_id, owner_id = stored_v1(local_server, now)
    before = state_of(source_id)
    local_server.add("/talks.ics", calendar(V2, now))
    job = enqueue_refresh(source_id, now)
    tag = f"faults-{secrets.token_hex(4)}"
    with WorkerProcess(pg, tag=tag) as worker, owner_row_held(pg, owner_id) as held:
        wait_for(lambda: waiting(held, tag), "the refresh to wait at its commit", worker.log)
        assert waiting(held, tag)[0].startswith("UPDATE users SET data_version")
        worker.kill()
    assert status_of(job) == "started"
    assert state_of(source_id) == before
    assert_version([source_id], 1, calendar(V1, now))
    recover(pg, local_server, job, source_id, now)


# --- 2. two workers refreshing the same source at once ----------------------------------------

CONSTRAINTS = {  # what keeps concurrent refreshes from doubling rows
    ("events", "uq_events_owner_fingerprint", "u"),  # one event per owner and fingerprint
    ("event_sources", "uq_event_sources_source_uid", "u"),  # one link per source and uid
    ("source_groups", "source_groups_pkey", "p"),  # one hash per source and part
}


def constraints(connection: Any) -> set[tuple[str, str, str]]:
    """(table, name, type) of this schema's unique and primary-key constraints."""
    found = connection.execute(
        text(
            "SELECT c.conrelid::regclass::text, c.conname, c.contype FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = current_schema() AND c.contype IN ('u', 'p')"
        )
    )
    return {(table, name, kind) for table, name, kind in found}


@pytest.mark.postgres
@pytest.mark.parametrize("sources", [1, 2], ids=["one source twice", "two sources, one calendar"])
def test_two_workers_refreshing_at_once_store_each_row_once(
    pg: Flask, redis_db: Redis, local_server: LocalServer, sources: int
) -> None:
    """Two worker processes run two refresh jobs at once (different job ids) for one source, or
    for two sources of one owner that serve the same calendar, three times: the first read
    (inserts), a new version (moved, renamed, new and dropped events), a version that only drops
    one. Each time the jobs are let go only once both are in flight (one waiting at its commit,
    the other for rows the first one wrote), so they truly overlap. The unique constraints hold
    (ON CONFLICT names them): each event is stored once, each link once, the moved event's
    SEQUENCE rises once, and the dropped events are marked gone."""
    now = datetime.now(UTC)
    session = db.session()
    user = owner(session)
    paths = ["/a.ics", "/b.ics"][:sources]
    ids = [add_source(session, user, local_server.url(path)).id for path in paths]
    session.commit()
    jobs_for = ids * 2 if sources == 1 else ids
    tag = f"faults-{secrets.token_hex(4)}"
    with WorkerProcess(pg, tag=tag) as first, WorkerProcess(pg, tag=tag) as second:
        for version in (1, 2, 3):
            body = calendar(VERSIONS[version], now)
            for path in paths:
                local_server.add(path, body)
            wait_for(lambda: idle(redis_db), "the follow-up jobs to be done", first.log)
            with owner_row_held(pg, user.id) as held:
                if version == 1:
                    assert constraints(held) >= CONSTRAINTS
                jobs = [
                    enqueue(refresh_source, source_id, now.isoformat(), job_id=f"r{n}-{version}")
                    for n, source_id in enumerate(jobs_for)
                ]
                wait_for(lambda: len(waiting(held, tag)) == 2, "both jobs to overlap", first.log)
            wait_for(finished(*jobs), f"both refreshes of version {version}", second.log)
            assert_version(ids, version, body)
            moved = select(Event.sequence).where(Event.title == "Talk 1")
            assert db.session().scalar(moved) == (0 if version == 1 else 1)
            db.session().commit()


# --- 3. Redis restarted while the web app serves and jobs are queued ---------------------------


class PrivateRedis:
    """A redis-server of this test's own (the machine's Redis is shared: never restarted here),
    on a free port, with an append-only file fsynced on every write, so that what it accepted
    is there again after a SIGKILL and a restart on the same port and folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = Redis.from_url(self.url)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, "the private Redis to answer")

    def answers(self) -> bool:
        try:
            return bool(self.client.ping())
        except Exception:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if not which("redis-server"):
        need("Redis", "redis-server is not installed")
    server = PrivateRedis(tmp_path / "redis")
    server.folder.mkdir()
    server.start()
    yield server
    server.client.close()
    if server.process is not None and server.process.poll() is None:
        server.kill()


PAGES = [
    *("/", "/weeks", "/upcoming", "/follow-ups", "/sources/", "/profile/", "/goals/"),
    *("/contacts/", "/trips/", "/people/", "/roi/", "/feeds", "/digest", "/digest/preview"),
]
SPEAKER = "Talk by Mira Okafor (Freelance): ML in production."  # a demo contact speaks


@pytest.mark.postgres
def test_redis_restarted_under_the_web_app_loses_no_job(
    pg: Flask, private_redis: PrivateRedis, local_server: LocalServer
) -> None:
    """Redis killed (SIGKILL) with two refreshes queued: the pages keep working and a source
    added meanwhile is kept (see `pages_without_redis`); restarted on the same port and folder,
    Redis still has the two jobs (append-only file) and a worker does them. Killed again in
    the middle of a job, whose end cannot be recorded: the worker process waits for Redis and
    goes on; RQ runs the lost job again, which queues the follow-up it could not queue the first
    time (which of the contacts speaks); the next tick queues the source added while Redis
    was down, and the same worker does it. Every source is stored exactly once."""
    from planner.demo_loader import load_demo, load_demo_person
    from planner.schedule import run_tick

    pg.config["REDIS_URL"] = None  # the demo is read in-process, before Redis
    now = datetime.now(UTC)
    list(load_demo(now))  # pages with something on them
    list(load_demo_person(now))
    demo_events = count(Event)
    pg.config["REDIS_URL"] = private_redis.url
    queued = [new_source(local_server, f"/{n}.ics", calendar(V1, now, f"{n}/")) for n in "ab"]
    jobs = [enqueue_refresh(source_id, now) for source_id in queued]
    private_redis.kill()
    added = pages_without_redis(pg, local_server.add("/c.ics", calendar(V1, now, "c/")), queued[0])
    private_redis.start()
    fetch = Queue("fetch", connection=private_redis.client)
    assert fetch.job_ids == [job.id for job in jobs]  # both kept through the crash
    with WorkerProcess(pg) as worker:
        wait_for(finished(*jobs), "the queued refreshes", worker.log)
        wait_for(lambda: idle(private_redis.client), "their follow-up jobs", worker.log)
        slow = lost_mid_job(pg, private_redis, local_server, worker, now)
        tick = datetime.now(UTC)
        assert run_tick(tick) >= 1  # queues what is due: the source added while Redis was down
        job_c = fetch.fetch_job(f"refresh-{added}-{tick:%Y%m%d%H}")
        assert job_c is not None
        wait_for(finished(job_c), "the same worker process to go on", worker.log)
        assert worker.process.poll() is None
    for source_id, name in zip([*queued, added, slow], ["a/", "b/", "c/", "d/"], strict=True):
        about = SPEAKER if name == "d/" else ""
        assert_version([source_id], 1, calendar(V1, now, name, about), name)
    assert count(Event) == demo_events + 4 * EVENT_ROWS[1]


def new_source(server: LocalServer, path: str, body: bytes, **route: Any) -> int:
    session = db.session()
    source = add_source(session, owner(session), server.add(path, body, **route))
    session.commit()
    return source.id


def pages_without_redis(app: Flask, new_url: str, refreshed: int) -> int:
    """With Redis down: every page answers 200, /healthz 503; adding a source, or asking for a
    refresh, says that the queue is not answering (on the page, no server error) and keeps
    the new source, whose id is returned."""
    client = app.test_client()
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["database"] == "ok"
    assert health.json["redis"] == "failing"
    token = {"csrf_token": csrf_token(client.get("/sources/").text)}
    back = {"Referer": "http://localhost/sources/"}
    added = client.post("/sources/", data={"url": new_url, **token}, headers=back)
    assert added.status_code == 303 and added.location == "/sources/"
    shown = client.get("/sources/").text
    assert "The job queue is not answering just now, so the refresh could not be" in shown
    assert new_url in shown  # kept: the schedule reads it once Redis is back
    again = client.post(f"/sources/{refreshed}/refresh", data=token, headers=back)
    assert again.status_code == 303
    assert "not answering just now" in client.get("/sources/").text
    session = db.session()
    source_id = session.scalar(select(Source.id).where(Source.url == new_url))
    session.commit()
    assert source_id is not None
    return source_id


def lost_mid_job(
    app: Flask, redis: PrivateRedis, server: LocalServer, worker: WorkerProcess, now: datetime
) -> int:
    """Redis killed while `worker` refreshes a slow source: the refresh is stored, but neither
    its end nor its follow-up jobs reach Redis; the worker waits for Redis. Restarted, RQ runs
    the job again, and its follow-ups run too. The source's id."""
    from planner.models import ContactEvidence

    slow = new_source(server, "/d.ics", calendar(V1, now, "d/", SPEAKER), delay=3)
    job = enqueue_refresh(slow, now)
    asked = len(server.requests)
    wait_for(fetching(job, server, "/d.ics", asked), "the slow refresh to start", worker.log)
    redis.kill()
    wait_for(
        lambda: state_of(slow)["ok_at"] and "waiting for Redis" in worker.log(),
        "the refresh to be stored, and the worker to wait for Redis",
        worker.log,
    )
    of_d = select(Event.id).where(Event.title.like("d/%"))
    assert count(ContactEvidence, ContactEvidence.event_id.in_(of_d)) == 0  # not worked out yet
    redis.start()
    come_back(job)  # its worker lost it: RQ runs it again...
    run_burst(app)  # ...queued by this one's scheduler, run by either worker
    wait_for(finished(job), "the lost job to be done again", worker.log)
    wait_for(lambda: idle(redis.client), "its follow-up jobs", worker.log)
    assert count(ContactEvidence, ContactEvidence.event_id.in_(of_d)) == len(V1)
    return slow


def test_a_threaded_worker_keeps_time_limits_outlives_redis_and_stops_after_its_jobs(
    tmp_path: Path, private_redis: PrivateRedis
) -> None:
    """`worker.py --threads 2` (the mail queue's worker, no fork): a job over its time limit is
    stopped by the timer and fails while the other thread's job finishes; Redis killed in the
    middle of a job, the process waits for it and, restarted, takes the next job; SIGTERM lets
    the job in hand finish, then every thread stops and unregisters."""
    from rq import Worker

    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, REDIS_URL=private_redis.url)
    fetch = Queue("fetch", connection=private_redis.client)
    with app.app_context(), WorkerProcess(app, "--threads", "2", "fetch") as worker:
        workers = lambda: {w.name for w in Worker.all(connection=private_redis.client)}  # noqa: E731
        wait_for(lambda: len(workers()) == 2, "two threads to register", worker.log)
        endless = fetch.enqueue("tests.jobs.spin", 600, job_timeout=2)
        short = fetch.enqueue("tests.jobs.spin", 0.5)
        wait_for(lambda: status_of(endless) == "failed", "the time limit", worker.log)
        assert "JobTimeoutException" in (endless.latest_result().exc_string or "")
        assert status_of(short) == "finished" and short.return_value() == 0.5
        cut = fetch.enqueue("tests.jobs.spin", 3)
        wait_for(lambda: status_of(cut) == "started", "a job to start", worker.log)
        private_redis.kill()
        wait_for(lambda: "waiting for Redis" in worker.log(), "the thread to wait", worker.log)
        private_redis.start()
        after = fetch.enqueue("tests.jobs.spin", 0.1)
        wait_for(lambda: status_of(after) == "finished", "the next job", worker.log)
        last = fetch.enqueue("tests.jobs.spin", 2)
        wait_for(lambda: status_of(last) == "started", "a last job to start", worker.log)
        worker.process.terminate()
        assert worker.process.wait(WAIT) == 0, worker.log()
        assert status_of(last) == "finished"  # the job in hand was let finish
        # left registered: only the worker that lost Redis (it could not say it was going)
        assert workers() <= set(re.findall(r"worker (\w+) lost Redis", worker.log())), worker.log()
        assert "each thread stops after its job" in worker.log()
        close(app)


# --- 4. the database unavailable for a few seconds ---------------------------------------------


class Switch:
    """A TCP proxy from a free port on 127.0.0.1 to PostgreSQL that can be switched off (every
    connection through it cut, new ones refused) and on again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = free_port()
        self.pipes: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None

    def on(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.listener.settimeout(0.1)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def off(self) -> None:
        if self.listener is None:
            return
        self.listener.close()
        self.listener = None
        with self.lock:
            for pipe in self.pipes:
                with suppress(OSError):  # the other side may have gone already
                    pipe.shutdown(socket.SHUT_RDWR)
                pipe.close()
            self.pipes.clear()

    def _accept(self, listener: socket.socket) -> None:
        while listener.fileno() != -1:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # switched off
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.pipes += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass  # cut
        for pipe in (source, target):
            with suppress(OSError):
                pipe.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def switch(pg: Flask) -> Iterator[Switch]:
    """A switched-on proxy to the PostgreSQL server of `pg`, off at the end."""
    url = make_url(pg.config["DATABASE_URL"])
    proxy = Switch(url.host or "127.0.0.1", url.port or 5432)
    proxy.on()
    yield proxy
    proxy.off()


@pytest.mark.postgres
def test_the_database_gone_for_a_while_jobs_fail_are_retried_and_succeed(
    pg: Flask, switch: Switch, local_server: LocalServer
) -> None:
    """The worker reaches PostgreSQL through a proxy that is switched off for a while: a refresh
    that was fetching loses its connection, one that starts meanwhile cannot connect; both fail
    and RQ schedules their retries; nothing of theirs is written. With the database back, the
    retries run (the retry wait moved to now) and store each source exactly once."""
    url = make_url(pg.config["DATABASE_URL"]).set(host="127.0.0.1", port=switch.port)
    through = url.render_as_string(hide_password=False)
    now = datetime.now(UTC)
    session = db.session()
    user = owner(session)
    busy = add_source(session, user, local_server.add("/a.ics", calendar(V1, now, "a/"), delay=3))
    late = add_source(session, user, local_server.add("/b.ics", calendar(V1, now, "b/")))
    session.commit()
    before = [state_of(busy.id), state_of(late.id)]
    with WorkerProcess(pg, "--with-scheduler", DATABASE_URL=through) as worker:
        first = enqueue_refresh(busy.id, now)
        wait_for(fetching(first, local_server, "/a.ics"), "the first fetch", worker.log)
        switch.off()
        second = enqueue_refresh(late.id, now)
        for job in (first, second):
            wait_for(lambda job=job: retrying(job, 2), "a retry", worker.log)
        assert [state_of(busy.id), state_of(late.id)] == before  # nothing half-written
        assert count(Event) == 0
        switch.on()
        for job in (first, second):
            retry_now(job)
        wait_for(finished(first, second), "the retries to succeed", worker.log)
    assert "OperationalError" in worker.log()  # they did fail on the database
    assert_version([busy.id], 1, calendar(V1, now, "a/"), "a/")
    assert_version([late.id], 1, calendar(V1, now, "b/"), "b/")


# --- 5. a site that hangs or trickles bytes ----------------------------------------------------


def test_a_hanging_or_trickling_site_is_cut_at_the_timeout_and_the_next_source_goes_on(
    both: Flask, local_server: LocalServer
) -> None:
    """One worker takes three refreshes in a row: a site that never answers (cut by the read
    timeout), one that sends a byte every half second for minutes (cut by the total timeout),
    then a good one, which is stored exactly. The two cut sources say so, on the source and
    on the sources page, and wait for RQ's retry."""
    now = datetime.now(UTC)
    session = db.session()
    user = owner(session)
    hangs = add_source(session, user, local_server.add("/hangs.ics", calendar(V1, now), delay=600))
    trickles = add_source(
        session, user, local_server.add("/trickles.ics", calendar(V1, now), trickle=0.5)
    )
    good = add_source(session, user, local_server.add("/good.ics", calendar(V1, now, "good/")))
    session.commit()
    jobs = [enqueue_refresh(source.id, now) for source in (hangs, trickles, good)]
    log = run_burst(both, FETCH_READ_TIMEOUT="2", FETCH_TOTAL_TIMEOUT="4")
    assert [status_of(job) for job in jobs] == ["scheduled", "scheduled", "finished"], log
    assert_version([good.id], 1, calendar(V1, now, "good/"), "good/")
    page = both.test_client().get("/sources/").text
    for source, words in ((hangs, "timed out after 2 s"), (trickles, "not complete after 4 s")):
        state = state_of(source.id)
        assert words in state["last_error"] and source.url in state["last_error"]
        assert state["consecutive_failures"] == 1 and state["events_found"] == 0
        assert count(EventSource, EventSource.source_id == source.id) == 0
        assert words in page


# --- 6. a digest job killed after the send -----------------------------------------------------


class Swallow:
    """An SMTP server on 127.0.0.1 that keeps each message it is given and never answers: its
    sender is killed while it waits, after the send."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.port = free_port()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        await asyncio.sleep(3600)
        return "250 too late"

    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def swallow() -> Iterator[Swallow]:
    from aiosmtpd.controller import Controller

    server = Swallow()
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()


def run_again(job: Job) -> None:
    """The next delivery of an abandoned job: RQ's retry when it has one left, else what an
    operator does with the failed jobs after an incident (`rq requeue`)."""
    started = StartedJobRegistry(queue=Queue(job.origin, connection=job.connection))
    started.cleanup(timestamp=time.time() + HEARTBEAT_LAPSE)
    if status_of(job) == "scheduled":
        retry_now(job)
    else:
        assert status_of(job) == "failed"
        FailedJobRegistry(queue=Queue(job.origin, connection=job.connection)).requeue(job)


@pytest.mark.postgres
def test_a_digest_job_killed_after_the_send_is_not_sent_twice(
    pg: Flask, redis_db: Redis, swallow: Swallow
) -> None:
    """The scheduler's round queues ann's weekly digest; a worker sends it and is killed (work
    horse and worker, SIGKILL) once the SMTP server has the message, before it could record
    "sent". RQ delivers the job again: the new worker finds the week's row ("sending", with
    the Message-ID the server got) and sends nothing; the next rounds queue nothing. One
    message, and the row says it may or may not have arrived (for a person to settle)."""
    from planner.digest import week_of
    from planner.models import DigestSend
    from planner.schedule import send_digests
    from tests.test_digest_smtp import BASE, plan_for

    now = datetime.now(UTC)
    pg.config.update(REDIS_URL=None, SMTP_URL=swallow.url(), BASE_URL=BASE)
    ann = plan_for("ann@example.org", now)  # the demo's sources, goals and contacts
    local = now.astimezone(ZoneInfo(ann.timezone or "UTC"))
    ann.digest_weekday, ann.digest_hour = local.weekday(), local.hour  # due: this very hour
    ann.created_at = now - timedelta(days=30)  # an account older than its slot
    db.session().commit()
    pg.config["REDIS_URL"] = REDIS_URL
    assert send_digests(now.isoformat())["due"] == 1
    [job] = Queue("mail", connection=redis_db).get_jobs()
    assert job.id == f"digest-{ann.id}-{week_of(now, ann.timezone)}-{now:%Y%m%d%H}"
    with WorkerProcess(pg, "mail", SMTP_URL=swallow.url(), BASE_URL=BASE) as worker:
        wait_for(lambda: swallow.received, "the SMTP server to have the digest", worker.log)
        worker.kill()
    [row] = db.session().scalars(select(DigestSend)).all()
    assert row.status == "sending" and row.message_id == swallow.received[0]["Message-ID"]
    db.session().commit()
    run_again(job)
    log = run_burst(pg, "mail", SMTP_URL=swallow.url(), BASE_URL=BASE)
    assert status_of(job) == "finished", log
    assert job.return_value()["status"] == "already"
    assert send_digests(now.isoformat())["due"] == 0
    assert len(swallow.received) == 1
    db.session().expire_all()
    [after] = db.session().scalars(select(DigestSend)).all()
    assert (after.id, after.status, after.sent_at) == (row.id, "sending", None)
