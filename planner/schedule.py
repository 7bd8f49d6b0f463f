"""Periodic work: which jobs are due now, and (the embedded default, without Redis) a thread in
the web process that runs them, so a single-user install stays fresh with nothing else to start.

    due_jobs(now)                 # [(function, args, job_id)] for this tick
    run_tick(now)                 # run or queue them: on RQ with Redis, here without
    start_background(app)         # `planner serve` without Redis: tick every minute
    send_digests(now)             # job: one `send_digest` per user whose digest is due

Job ids name the period (the source and the hour, the owner and the hour, the minute of the
digest round; a digest's user and ISO week), so that a tick repeated within the period queues
nothing new on RQ. The digests' database row per user and week guards against the rest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import or_, select

from planner import db
from planner.models import Contact, DigestSend, Event, Trip, User

log = logging.getLogger(__name__)
TICK_SECONDS = 60.0
USER_BATCH = 1000  # users read at once when looking for due digests

Job = tuple[Callable[..., Any], tuple[Any, ...], str]


def due_jobs(now: datetime) -> list[Job]:
    """The jobs this tick calls for: sources due for a refresh, places not looked up yet, and
    a round of the weekly digests when one is due (the round queues each due one)."""
    from planner.geocode import GEOCODE_JOBS
    from planner.jobs import due_sources, refresh_source

    hour = f"{now:%Y%m%d%H}"
    stamp = now.isoformat()
    jobs: list[Job] = [
        (refresh_source, (source_id, stamp), f"refresh-{source_id}-{hour}")
        for source_id in due_sources(now)
    ]
    for kind, ids in _pending_places().items():
        jobs += [(GEOCODE_JOBS[kind], (i, stamp), f"geocode-{kind}-{i}-{hour}") for i in ids]
    if next(iter(due_digests(now)), None) is not None:
        jobs.append((send_digests, (stamp,), f"digests-{now:%Y%m%d%H%M}"))
    return jobs


def _pending_places() -> dict[str, list[int]]:
    """Rows whose place was never looked up: homes, trips; owners of contacts and events."""
    session = db.session()
    users = select(User.id).where(User.home_location.is_not(None), User.home_geocoded_at.is_(None))
    trips = select(Trip.id).where(Trip.geocoded_at.is_(None))
    contacts = (
        select(Contact.owner_id)
        .where(Contact.city.is_not(None), Contact.geocoded_at.is_(None))
        .distinct()
    )
    events = (
        select(Event.owner_id)
        .where(
            Event.geocoded_at.is_(None),
            Event.lat.is_(None),
            Event.gone_at.is_(None),
            Event.attendance != "online",
            or_(Event.address.is_not(None), Event.venue.is_not(None)),
        )
        .distinct()
    )
    return {
        kind: sorted(session.scalars(query))
        for kind, query in (
            ("user", users),
            ("trip", trips),
            ("contacts", contacts),
            ("events", events),
        )
    }


def run_tick(now: datetime | None = None) -> int:
    """Run (without Redis) or queue (with Redis) this tick's jobs; a failing job is logged and
    the others go on. Returns how many jobs were started."""
    from planner.jobs import enqueue, queue

    moment = now or datetime.now(UTC)
    jobs = due_jobs(moment)
    for func, args, job_id in jobs:
        if queue() is not None:
            enqueue(func, *args, job_id=job_id, queue_name=_queue_of(job_id))
            continue
        try:
            func(*args)
        except Exception:
            log.exception("scheduled job %s failed", job_id)
            db.session().rollback()
    return len(jobs)


def _queue_of(job_id: str) -> str:
    if job_id.startswith("digest"):
        return "mail"
    return "geocode" if job_id.startswith("geocode-") else "fetch"


def due_digests(now: datetime) -> Iterator[tuple[int, str, str]]:
    """(user id, email, ISO week) of each user whose weekly digest is due at `now`: on, to a
    confirmed address mail can reach, its weekday and hour come on the user's clock less than a
    day ago and after the account was made, and no row yet for that week. Users are read in
    batches (the caller may commit in between)."""
    from planner.digest import due_week
    from planner.outbox import deliverable

    session = db.session()
    relay = bool(current_app.config.get("SMTP_URL"))
    single = current_app.config["MODE"] != "multi"  # the local owner confirms nothing
    columns = (User.id, User.email, User.timezone, User.digest_weekday, User.digest_hour,
               User.created_at, User.email_confirmed_at)  # fmt: skip
    last = 0
    while True:
        query = select(*columns).where(User.digest_enabled, User.id > last).order_by(User.id)
        batch = session.execute(query.limit(USER_BATCH)).all()
        if not batch:
            return
        last = batch[-1].id
        due = [
            (user_id, email, week)
            for user_id, email, timezone, weekday, hour, made, confirmed in batch
            if deliverable(email, relay, single or confirmed is not None)
            and (week := due_week(now, timezone, weekday, hour, since=made))
        ]
        if due:
            sent = select(DigestSend.owner_id, DigestSend.week).where(
                DigestSend.owner_id.in_([user_id for user_id, _, _ in due]),
                DigestSend.week.in_({week for _, _, week in due}),
            )
            taken = {(owner_id, week) for owner_id, week in session.execute(sent)}
            yield from (found for found in due if (found[0], found[2]) not in taken)
        session.commit()  # no transaction held between batches


def send_digests(now: str | None = None) -> dict[str, Any]:
    """Job: queue `send_digest` for each due user on the "mail" queue, job id
    `digest-<user>-<week>-<hour>` (queued once an hour: a second round in the hour finds it
    there; a job that failed for good before it claimed the week is followed by the next hour's
    while the digest is due, and the (user, week) row lets only one of them send); without
    Redis they run here, one after the other over one SMTP connection, a failure logged and the
    others sent."""
    from planner.jobs import parse_now
    from planner.smtp import one_connection

    moment = parse_now(now)
    stamp, found, failed = moment.isoformat(), 0, 0
    with one_connection():
        for user_id, _, week in due_digests(moment):
            found += 1
            failed += not _send_or_queue(user_id, week, stamp, f"{moment:%Y%m%d%H}")
    return {"due": found, "failed": failed}


def _send_or_queue(user_id: int, week: str, stamp: str, hour: str) -> bool:
    """Queue the user's digest on RQ, or (no Redis) send it here; False when that failed."""
    from planner.jobs import enqueue
    from planner.sending import send_digest

    try:
        enqueue(send_digest, user_id, week, stamp, job_id=f"digest-{user_id}-{week}-{hour}",
                queue_name="mail")  # fmt: skip
    except Exception:
        log.exception("digest for user %s, %s failed", user_id, week)
        db.session().rollback()
        return False
    finally:
        db.session().expunge_all()  # one user's rows at a time in memory, however many users
    return True


def start_background(app: Flask, interval: float = TICK_SECONDS) -> threading.Event:
    """Tick every `interval` seconds in a daemon thread with its own app context; set the
    returned event to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            with app.app_context():
                try:
                    run_tick()
                except Exception:
                    log.exception("scheduler tick failed")
            stop.wait(interval)

    threading.Thread(target=loop, name="planner-schedule", daemon=True).start()
    return stop
