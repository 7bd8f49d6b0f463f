"""How the service is doing, for operators: `planner status` and `/healthz`.

health()        # -> {"database": "ok" | error, "redis": "ok" | "not configured" | error}
status(now)     # -> queues, failing sources, last refresh, last digest run
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, text

from planner import db
from planner.models import DigestSend, Source
from planner.sending import INTERRUPTED_AFTER  # when "sending" means the sender was cut off

FAILING_SHOWN = 20  # failing sources listed, worst first


def health() -> dict[str, str]:
    """Whether the database and (when configured) Redis answer; each value "ok" or the error."""
    found = {"database": _check(lambda: db.session().execute(text("select 1")))}
    db.session().rollback()
    url = current_app.config.get("REDIS_URL")
    if not url:
        found["redis"] = "not configured"
    else:
        from redis import Redis

        found["redis"] = _check(
            lambda: Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        )
    return found


def _check(probe: Any) -> str:
    try:
        probe()
    except Exception as exc:  # whatever it is, it is the answer
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip()
    return "ok"


def status(now: datetime) -> dict[str, Any]:
    """Queues (with Redis), failing sources, the last refresh and the last digest run."""
    found = health()
    if found["database"] != "ok":  # nothing else can be read
        return {"health": found, "queues": None, "failing": [], "digests": None}
    session = db.session()
    failing = session.scalars(
        select(Source)
        .where(Source.consecutive_failures > 0)
        .order_by(Source.consecutive_failures.desc(), Source.id)
        .limit(FAILING_SHOWN)
    ).all()
    return {
        "health": found,
        "queues": queue_lengths() if found["redis"] == "ok" else None,
        "sources": session.scalar(select(func.count()).select_from(Source)) or 0,
        "sources_failing": session.scalar(
            select(func.count()).select_from(Source).where(Source.consecutive_failures > 0)
        )
        or 0,
        "sources_due": session.scalar(
            select(func.count())
            .select_from(Source)
            .where((Source.next_fetch_at.is_(None)) | (Source.next_fetch_at <= now))
        )
        or 0,
        "last_refresh": _iso(session.scalar(select(func.max(Source.fetched_at)))),
        "failing": [_failing(source) for source in failing],
        "digests": _digests(now),
    }


def _failing(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "owner_id": source.owner_id,
        "url": source.url,
        "failures": source.consecutive_failures,
        "error": source.last_error,
        "next_fetch_at": _iso(source.next_fetch_at),
    }


def _digests(now: datetime) -> dict[str, Any]:
    session = db.session()
    last = session.scalar(select(func.max(DigestSend.started_at)))
    by_status = dict(
        session.execute(
            select(DigestSend.status, func.count())
            .where(DigestSend.started_at >= now - timedelta(days=7))
            .group_by(DigestSend.status)
        ).all()
    )
    interrupted = session.scalar(
        select(func.count())
        .select_from(DigestSend)
        .where(
            DigestSend.status == "sending",
            (DigestSend.started_at <= now - INTERRUPTED_AFTER) | DigestSend.error.is_not(None),
        )
    )
    return {"last_run": _iso(last), "last_7_days": by_status, "interrupted": interrupted or 0}


def queue_lengths() -> dict[str, dict[str, int]] | None:
    """Per queue: queued, started, scheduled (waiting for a retry) and failed jobs; None without
    Redis (jobs run in-process)."""
    from planner.jobs import QUEUES, queue

    if queue() is None:
        return None
    found = {}
    for name in QUEUES:
        q: Any = queue(name)
        found[name] = {
            "queued": q.count,
            "started": q.started_job_registry.count,
            "scheduled": q.scheduled_job_registry.count,
            "failed": q.failed_job_registry.count,
        }
    return found


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
