"""Periodic work: which jobs are due now, and (the embedded default, without Redis) a thread in
the web process that runs them, so a single-user install stays fresh with nothing else to start.

    due_jobs(now)                 # [(function, args, job_id)] for this tick
    run_tick(now)                 # run or queue them: on RQ with Redis, here without
    start_background(app)         # `planner serve` without Redis: tick every minute

Job ids name the period (the source and the hour, the owner and the hour), so that a tick
repeated within the period queues nothing new on RQ.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import or_, select

from planner import db
from planner.models import Contact, Event, Trip, User

log = logging.getLogger(__name__)
TICK_SECONDS = 60.0

Job = tuple[Callable[..., Any], tuple[Any, ...], str]


def due_jobs(now: datetime) -> list[Job]:
    """The jobs this tick calls for: sources due for a refresh, places not looked up yet."""
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
    return "geocode" if job_id.startswith("geocode-") else "fetch"


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
