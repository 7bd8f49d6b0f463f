"""Never twice: a retried job, two jobs at once (threads, on SQLite and PostgreSQL), a sender
killed while the server had the message, and the fan-out on RQ each deliver one message at
most; the claim (and what composing wrote) is committed before the server has the message;
what was interrupted waits for a person, on the page and in the CLI."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select, update

from planner import db
from planner.digest import week_of
from planner.jobs import wait_background
from planner.mail import unsubscribe_claim
from planner.models import DigestSend, User
from planner.schedule import due_digests, run_tick, send_digests, start_background
from planner.sending import INTERRUPTED_AFTER, send_digest, state_of
from tests.accounts import csrf_token
from tests.conftest import REDIS_URL, close, database_url, make_app, need, redis_error
from tests.test_digest_smtp import BASE, Sink, due_now, plan_for, sink_fixture  # noqa: F401

ROOT = Path(__file__).parent.parent
PLANNER = str(Path(sys.executable).parent / "planner")  # the installed command


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def both(request: pytest.FixtureRequest, tmp_path: Path, sink: Sink) -> Iterator[Flask]:
    """Single-user mode on each database; the owner is ann@example.org; mail to `sink`."""
    url = database_url(request.param, tmp_path, request.getfixturevalue("postgres_schema_factory"))
    app = make_app(url, tmp_path, OWNER_EMAIL="ann@example.org", SMTP_URL=sink.url(),
                   BASE_URL=BASE)  # fmt: skip
    with app.app_context():
        yield app
        close(app)


def ann_due(now: datetime) -> User:
    """ann, planned for, her digest due at `now` (its slot this hour)."""
    ann = plan_for("ann@example.org", now)
    due_now(ann, now)
    return ann


def rows() -> list[DigestSend]:
    session = db.session()
    session.expire_all()
    return list(session.scalars(select(DigestSend)))


def test_a_retried_job_sends_once(both: Flask, sink: Sink) -> None:
    now = datetime.now(UTC)
    ann = ann_due(now)
    week = week_of(now, ann.timezone)
    first = send_digest(ann.id, week, now.isoformat())
    again = send_digest(ann.id, week, now.isoformat())
    assert (first["status"], again["status"]) == ("sent", "already")
    assert len(sink.received) == 1
    assert [r.status for r in rows()] == ["sent"]
    send_digests(now.isoformat())  # the next round of the scheduler: nothing is due
    assert len(sink.received) == 1


def test_two_jobs_at_once_send_once(both: Flask, sink: Sink) -> None:
    now = datetime.now(UTC)
    ann = ann_due(now)
    week, user_id = week_of(now, ann.timezone), ann.id
    start = threading.Barrier(2)
    results: list[str] = []

    def job() -> None:
        with both.app_context():
            start.wait()
            results.append(send_digest(user_id, week, now.isoformat())["status"])

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["already", "sent"]
    assert len(sink.received) == 1
    assert [r.status for r in rows()] == ["sent"]


def test_the_claim_and_what_composing_wrote_are_committed_before_the_server_has_it(
    tmp_path: Path,
) -> None:
    """While the server takes the message, the (user, week) row is committed as "sending" with
    the Message-ID the message carries, and so is the mail key of its unsubscribe link (made
    for it); no write is held open meanwhile."""
    path = tmp_path / "p.sqlite3"
    seen: list[tuple[Any, ...]] = []

    def look() -> None:  # another connection, while the message comes in
        with closing(sqlite3.connect(path, timeout=0)) as other:
            other.execute("BEGIN IMMEDIATE")  # fails while a write is open elsewhere
            [row] = other.execute("SELECT status, message_id FROM digest_sends").fetchall()
            key = other.execute("SELECT mail_key FROM users").fetchone()
            seen.append((*row, *key))
            other.rollback()

    server = Sink(on_data=look)
    controller = server.start()
    app = make_app(f"sqlite:///{path}", tmp_path, OWNER_EMAIL="ann@example.org",
                   SMTP_URL=server.url(), BASE_URL=BASE)  # fmt: skip
    try:
        with app.app_context():
            now = datetime.now(UTC)
            ann = ann_due(now)
            ann.mail_key = None
            db.session().commit()
            said = send_digest(ann.id, week_of(now, ann.timezone), now.isoformat())
            token = server.received[0].message["List-Unsubscribe"].split("/")[-1].rstrip(">")
            claim = unsubscribe_claim(app.config["SECRET_KEY"], token)
            close(app)
    finally:
        controller.stop()
    [(status, message_id, key)] = seen
    assert (status, message_id) == ("sending", said["message_id"]) and said["status"] == "sent"
    assert key and claim == (said["user_id"], key)


def quiet_zone(now: datetime) -> str:
    """A zone whose week does not turn in the ten minutes before `now` (the test moves the
    crash ten minutes back)."""
    for name in ("UTC", "Asia/Tokyo", "America/New_York"):
        local = now.astimezone(ZoneInfo(name))
        since_monday = timedelta(days=local.weekday(), hours=local.hour, minutes=local.minute)
        if since_monday > timedelta(hours=1):
            return name
    raise AssertionError("unreachable: the zones are hours apart")


def test_a_sender_killed_mid_send_leaves_it_to_a_person(tmp_path: Path, sink: Sink) -> None:
    """The CLI's sender dies while the server holds the message: the row stays "sending"; the
    scheduler does not send it again; the page and the CLI say "interrupted"; "Send again"
    sends it, once."""
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, OWNER_EMAIL="ann@example.org",
                   SMTP_URL=sink.url(), BASE_URL=BASE)  # fmt: skip
    holding = Sink(hold=True)
    controller = holding.start()
    try:
        with app.app_context():
            now = datetime.now(UTC)
            ann = ann_due(now)
            ann.timezone = quiet_zone(now)
            db.session().commit()
            crashed_at = now - timedelta(minutes=10)
            child = subprocess.Popen(  # noqa: S603
                [
                    PLANNER,
                    "digest",
                    "send",
                    "--user",
                    ann.email,
                    "--now",
                    crashed_at.isoformat(),
                ],  # fmt: skip
                cwd=ROOT,
                env=child_env(app, SMTP_URL=holding.url()),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            assert holding.data_started.wait(120), child.communicate(timeout=5)
            child.send_signal(signal.SIGKILL)  # the server has the message, no answer yet
            child.communicate(timeout=30)
            [row] = rows()
            assert row.status == "sending" and row.message_id  # on record before sending
            assert state_of(row, datetime.now(UTC)) == "sending"  # for all anyone knows yet
            _time_passes(row, INTERRUPTED_AFTER)
            send_digests(now.isoformat())
            assert list(due_digests(now)) == [] and rows()[0].status == "sending"
            assert sink.received == []
            _page_says_interrupted_and_sends_again(app, row.id, row.message_id)
            close(app)
    finally:
        controller.stop()
    assert len(sink.received) == 1 and len(holding.received) == 0


def _time_passes(row: DigestSend, span: timedelta) -> None:
    """As if the row had been claimed `span` earlier (the sender died that long ago)."""
    session = db.session()
    session.refresh(row)
    session.execute(
        update(DigestSend).where(DigestSend.id == row.id).values(started_at=row.started_at - span)
    )
    session.commit()


def _page_says_interrupted_and_sends_again(app: Flask, row_id: int, message_id: str) -> None:
    cli = subprocess.run(  # noqa: S603
        [PLANNER, "digest", "send", "--user", "ann@example.org"],
        cwd=ROOT,
        env=child_env(app),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "interrupted: may or may not have been sent" in cli.stdout, cli.stderr
    assert message_id in cli.stdout and "--again" in cli.stdout
    client = app.test_client()
    page = client.get("/digest").text
    assert "interrupted" in page and "it may or may not have arrived" in page
    assert "Send again" in page and "It arrived: mark as sent" in page
    answer = client.post(f"/digest/sends/{row_id}/again", data={"csrf_token": csrf_token(page)})
    assert answer.status_code == 302
    wait_background()
    [after] = rows()
    assert after.status == "sent" and after.message_id != message_id
    again = client.post(f"/digest/sends/{row_id}/again", data={"csrf_token": csrf_token(page)})
    assert again.status_code == 302  # a second click: nothing left to do
    wait_background()


def child_env(app: Flask, **settings: str) -> dict[str, str]:
    """The environment of a `planner` process working on `app`'s database."""
    values = {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INSTANCE_PATH": app.instance_path,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "SMTP_URL": app.config.get("SMTP_URL") or "",
        "BASE_URL": app.config["BASE_URL"],
        "OWNER_EMAIL": app.config["OWNER_EMAIL"],
        "MAIL_FROM": app.config["MAIL_FROM"],
        **settings,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env.update({f"PLANNER_{name}": value for name, value in values.items() if value})
    return env


@pytest.fixture
def on_rq(tmp_path: Path, sink: Sink) -> Iterator[Flask]:
    """Single-user mode on SQLite, its jobs on this run's Redis (the mail queue and digest jobs
    emptied before and after), mail to `sink`; the app pushed."""
    problem = redis_error()
    if problem:
        need("Redis", problem)
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    forget_digest_jobs(connection)
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, OWNER_EMAIL="ann@example.org",
                   SMTP_URL=sink.url(), BASE_URL=BASE, REDIS_URL=REDIS_URL)  # fmt: skip
    try:
        with app.app_context():
            yield app
            close(app)
    finally:
        forget_digest_jobs(connection)
        connection.close()


def forget_digest_jobs(connection: Any) -> None:
    from rq import Queue

    Queue("mail", connection=connection).empty()
    for key in connection.scan_iter("rq:job:digest*"):
        connection.delete(key)


@pytest.mark.redis
def test_the_fan_out_queues_one_job_per_due_user_and_a_worker_sends_each_once(
    on_rq: Flask, sink: Sink
) -> None:
    from redis import Redis
    from rq import Queue

    now = datetime.now(UTC)
    ann = ann_due(now)
    bob = User(email="bob@example.org", timezone="UTC")
    db.session().add(bob)
    due_now(bob, now)
    assert send_digests(now.isoformat())["due"] == 2
    assert send_digests(now.isoformat())["due"] == 2  # the next round, before a worker
    mail = Queue("mail", connection=Redis.from_url(REDIS_URL))
    ids = [f"digest-{u.id}-{week_of(now, u.timezone)}-{now:%Y%m%d%H}" for u in (ann, bob)]
    assert sorted(mail.job_ids) == sorted(ids)
    later = now + timedelta(hours=1)  # still due: a job lost before its claim is followed
    assert send_digests(later.isoformat())["due"] == 2
    assert f"digest-{ann.id}-{week_of(now, ann.timezone)}-{later:%Y%m%d%H}" in mail.job_ids
    run_tick(now)  # the scheduler's tick queues a round too: the worker runs it
    assert f"digests-{now:%Y%m%d%H%M}" in mail.job_ids and len(mail.job_ids) == 5
    worker = run_worker(on_rq)
    assert worker.returncode == 0, worker.stderr
    assert [r.recipients for r in sink.received] == [["ann@example.org"]]
    assert sorted(r.status for r in rows()) == ["empty", "sent"]  # bob: nothing to say


@pytest.mark.redis
def test_a_threaded_mail_worker_sends_each_due_digest_once_over_connections_it_keeps(
    on_rq: Flask, sink: Sink
) -> None:
    """`worker.py --threads 2 mail`: four users' digests and a round, run two at a time in one
    process; each digest goes out once, and each thread that sends opens one SMTP connection
    for all the messages it sends (a forking worker opens one per message)."""
    now = datetime.now(UTC)
    people = ["ann@example.org", "bob@example.org", "cem@example.org", "dia@example.org"]
    for email in people:
        due_now(plan_for(email, now), now)
    assert send_digests(now.isoformat())["due"] == 4  # four jobs on the mail queue
    run_tick(now)  # and the round: the worker runs it too, and it finds them queued
    worker = run_worker(on_rq, "--threads", "2")
    assert worker.returncode == 0, worker.stderr
    assert sorted(r.recipients[0] for r in sink.received) == people
    assert len({r.message["Message-ID"] for r in sink.received}) == 4
    assert [r.status for r in rows()] == ["sent"] * 4
    senders = set(re.findall(r"Worker (\w+): mail: planner\.sending\.send_digest\(",
                             worker.stderr))  # fmt: skip
    assert 1 <= len(senders) <= 2, worker.stderr
    assert sink.hellos == len(senders)  # one connection per thread, kept between messages
    again = run_worker(on_rq, "--threads", "2")  # nothing left to do: nothing sent
    assert again.returncode == 0, again.stderr
    assert len(sink.received) == 4


def run_worker(app: Flask, *options: str) -> subprocess.CompletedProcess[str]:
    env = child_env(app, REDIS_URL=REDIS_URL, DEBUG="1")
    return subprocess.run(  # noqa: S603
        [sys.executable, "worker.py", "--burst", *options, "mail"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_embedded_scheduler_sends_due_digests(tmp_path: Path, sink: Sink) -> None:
    """`planner serve` without Redis: the background tick sends what is due, once."""
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, OWNER_EMAIL="ann@example.org",
                   SMTP_URL=sink.url(), BASE_URL=BASE)  # fmt: skip
    with app.app_context():
        ann_due(datetime.now(UTC))
        stop = start_background(app, interval=0.05)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not sink.received:
                time.sleep(0.05)
            time.sleep(0.5)  # a few more ticks: nothing more goes out
        finally:
            stop.set()
        assert [r.recipients for r in sink.received] == [["ann@example.org"]]
        assert [r.status for r in rows()] == ["sent"]
        close(app)


def test_a_slow_send_is_not_taken_for_an_interrupted_one(tmp_path: Path) -> None:
    """A job that waited ten minutes in the queue, then a mail server slow to answer: while the
    mail is in flight the week is "sending", not "interrupted", so no "Send again" is offered
    and a resend started anyway does nothing (it would have sent a second copy)."""
    from planner.mail import MailUncertain
    from planner.sending import resend_digest

    holding = Sink(hold=True)
    controller = holding.start()
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, OWNER_EMAIL="ann@example.org",
                   SMTP_URL=holding.url("timeout=8"), BASE_URL=BASE)  # fmt: skip
    try:
        with app.app_context():
            now = datetime.now(UTC)
            ann = ann_due(now)
            queued_at, user_id = now - timedelta(minutes=10), ann.id
            week = week_of(queued_at, ann.timezone)
            outcome: list[Any] = []

            def job() -> None:
                with app.app_context():
                    try:
                        outcome.append(send_digest(user_id, week, queued_at.isoformat(), True))
                    except MailUncertain as exc:
                        outcome.append(exc)

            thread = threading.Thread(target=job)
            thread.start()
            assert holding.data_started.wait(60)
            [row] = rows()
            assert state_of(row, datetime.now(UTC)) == "sending"
            assert resend_digest(row.id, row.started_at.isoformat())["status"] == "already"
            page = app.test_client().get("/digest").text
            assert "Being sent now" in page and "Send again" not in page
            thread.join(60)
            [row] = rows()
            assert isinstance(outcome[0], MailUncertain)  # the sender gave up, unsure:
            assert state_of(row, datetime.now(UTC)) == "interrupted"  # now a person decides
            close(app)
    finally:
        controller.stop()


def test_interrupted_means_longer_than_any_send_may_take() -> None:
    from planner.jobs import KINDS, Kind

    limits = [KINDS.get(name, Kind()).timeout for name in ("send_digest", "resend_digest")]
    assert timedelta(seconds=3 * max(limits)) <= INTERRUPTED_AFTER


def test_a_failure_before_the_claim_raises_so_that_the_job_runs_again(
    tmp_path: Path, sink: Sink
) -> None:
    """The database cannot be read when the job starts: it raises (RQ runs it again later,
    planner.jobs.KINDS) and claims nothing, so that the run after sends the week's digest."""
    from sqlalchemy.exc import OperationalError

    path, away = tmp_path / "p.sqlite3", tmp_path / "away.sqlite3"
    app = make_app(f"sqlite:///{path}", tmp_path, OWNER_EMAIL="ann@example.org",
                   SMTP_URL=sink.url(), BASE_URL=BASE)  # fmt: skip
    with app.app_context():
        now = datetime.now(UTC)
        ann = ann_due(now)
        user_id, week = ann.id, week_of(now, ann.timezone)
        db.session().close()
        db.engine().dispose()
        path.rename(away)  # the database is gone: a new, empty file takes its place
        with pytest.raises(OperationalError):
            send_digest(user_id, week, now.isoformat())
        db.session().close()
        db.engine().dispose()
        path.unlink()
        away.rename(path)  # back
        assert send_digest(user_id, week, now.isoformat())["status"] == "sent"  # the retry
        assert len(sink.received) == 1 and [r.status for r in rows()] == ["sent"]
        close(app)
