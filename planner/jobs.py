"""Background work: job functions take ids, run on RQ when Redis is configured, in-process if not.

Jobs are idempotent (RQ delivers at least once) and raise on unexpected errors.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import or_, select

from planner import db
from planner.fetch import Fetcher
from planner.ingest import Window
from planner.models import Source
from planner.refresh import RefreshResult, refresh

log = logging.getLogger(__name__)
EXTENSION = "planner.jobs"
_background_lock = threading.Lock()
QUEUES = ("fetch", "geocode", "match", "mail")  # a worker takes them in this order


@dataclass(frozen=True)
class Kind:
    """How RQ runs one kind of job: the time it may take before the worker stops it, and the
    waits (seconds) before each retry after it failed (a database outage, a transient fetch
    error: the job raises and is run again later)."""

    timeout: int = 600
    retries: tuple[int, ...] = (30, 300)


# by job function name; the others get Kind()
KINDS: dict[str, Kind] = {
    "refresh_source": Kind(timeout=10 * 60, retries=(30, 120, 600)),
    "geocode_user": Kind(timeout=5 * 60, retries=(60, 300, 1800)),
    "geocode_trip": Kind(timeout=5 * 60, retries=(60, 300, 1800)),
    "geocode_contacts": Kind(timeout=60 * 60, retries=(60, 300, 1800)),
    "geocode_events": Kind(timeout=60 * 60, retries=(60, 300, 1800)),
    "update_evidence": Kind(timeout=30 * 60, retries=(30, 300)),
    "send_digest": Kind(timeout=5 * 60, retries=(60, 600)),
    "send_digests": Kind(timeout=10 * 60, retries=(60,)),
    "tick": Kind(timeout=5 * 60, retries=()),  # the next tick comes a minute later
}


class TransientFailure(Exception):
    """A job failed in a way that may mend soon (a site timed out, answered 503): raised so that
    RQ runs it again after the kind's wait; the failure is already recorded where users see it."""


class QueueUnavailable(Exception):
    """Redis did not answer, so a job could not be queued. What the caller committed before
    is kept (a new source is still due, and the schedule queues it once Redis is back)."""


# what a job does, in the words of the message shown when it cannot be queued
JOB_WORDS = {
    "refresh_source": "the refresh",
    "geocode_user": "finding your home on the map",
    "geocode_trip": "finding the trip's city on the map",
    "geocode_contacts": "finding your contacts' cities on the map",
    "update_evidence": "looking for your contacts at events",
    "resend_digest": "sending the digest",
}


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = {"queues": None, "fetcher": None, "background": None}
    app.register_error_handler(QueueUnavailable, _queue_unavailable)


def _queue_unavailable(exc: QueueUnavailable) -> Any:
    """A page whose job could not be queued: its message on the page the form came from (JSON
    for scripts), instead of a server error."""
    from flask import flash, jsonify, redirect, request

    message = str(exc)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=False, error=message), 503
    flash(message, "error")
    came_from = urlsplit(request.referrer or "")
    same_site = came_from.netloc == request.host and came_from.path.startswith("/")
    back = came_from.path + (f"?{came_from.query}" if came_from.query else "")
    return redirect(back if same_site else "/", 303)


def queue(name: str = "fetch") -> Any | None:
    """The RQ queue `name`, or None when no Redis is configured (jobs run in-process)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    state = current_app.extensions[EXTENSION]
    if state["queues"] is None:
        from redis import Redis
        from rq import Queue

        connection = Redis.from_url(url)
        state["queues"] = {n: Queue(n, connection=connection) for n in QUEUES}
    return state["queues"][name]


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    job_id: str | None = None,
    queue_name: str = "fetch",
    background: bool = False,
    unique: bool = True,
) -> Any:
    """Run `func(*args)` on a worker, or in this process without Redis: right here, or with
    `background` on this process's job thread (never inside the web request). Returns the RQ
    job, the result, or (background) a Future.

    On RQ a `job_id` is `unique` by default: while a job of that id is kept (queued, running,
    or finished within its result's hour) enqueueing it again adds nothing and returns the
    kept job, so two schedulers or a repeated tick queue a period's job once. Pass
    `unique=False` for ids that coalesce work ("evidence-7"): while that job waits in its
    queue (not started) it will read what was committed before this call, so nothing is
    added; once it has started, or ended, it is queued again."""
    q = queue(queue_name)
    if q is None:
        return _background(func, args) if background else func(*args)
    from redis.exceptions import ConnectionError as RedisDown
    from redis.exceptions import TimeoutError as RedisSlow
    from rq import Retry
    from rq.exceptions import DuplicateJobError

    if job_id is not None and not unique:
        waiting = _waiting(q, job_id)
        if waiting is not None:
            log.info("job %s is waiting in its queue already: not queued again", job_id)
            return waiting
    kind = KINDS.get(func.__name__, Kind())
    retry = Retry(max=len(kind.retries), interval=list(kind.retries)) if kind.retries else None
    try:
        return q.enqueue(
            func,
            *args,
            job_id=job_id,
            unique=unique and job_id is not None,
            job_timeout=kind.timeout,
            retry=retry,
            meta={"runs": 0},  # a job of a kept id starts its count again (`_counted_run`)
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )
    except DuplicateJobError:
        log.info("job %s is already queued or done: not queued again", job_id)
        return q.fetch_job(job_id)
    except (RedisDown, RedisSlow) as exc:
        log.error("job %s%r not queued: Redis did not answer (%s)", func.__name__, args, exc)
        what = JOB_WORDS.get(func.__name__, "the work that follows")
        raise QueueUnavailable(
            f"The job queue is not answering just now, so {what} could not be started; "
            "what you saved is kept. Try again in a minute."
        ) from exc


def _waiting(q: Any, job_id: str) -> Any | None:
    """The job `job_id` when it waits in its queue, not yet started (or waits for a retry)."""
    from redis.exceptions import ConnectionError as RedisDown
    from redis.exceptions import TimeoutError as RedisSlow
    from rq.job import JobStatus

    try:
        job = q.fetch_job(job_id)
        status = job.get_status(refresh=False) if job is not None else None
    except (RedisDown, RedisSlow):
        return None  # enqueue says so
    return job if status in (JobStatus.QUEUED, JobStatus.SCHEDULED) else None


def _background(func: Callable[..., Any], args: tuple[Any, ...]) -> Future[Any]:
    """Run on the app's single job thread, with an app context of its own."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions[EXTENSION]
    with _background_lock:
        if state["background"] is None:
            state["background"] = ThreadPoolExecutor(1, thread_name_prefix="planner-jobs")
        executor: ThreadPoolExecutor = state["background"]

    def run() -> Any:
        with app.app_context():
            try:
                return func(*args)
            except Exception:
                log.exception("background job %s%r failed", func.__name__, args)
                raise

    return executor.submit(run)


def wait_background(timeout: float | None = 60) -> None:
    """Wait until the in-process job thread has nothing left to do (tests, shutdown)."""
    state = current_app.extensions[EXTENSION]
    with _background_lock:
        executor = state["background"]
    if executor is not None:
        executor.submit(lambda: None).result(timeout)


def fetcher() -> Fetcher:
    """This thread's fetcher (a Fetcher serves one thread at a time), built from the settings."""
    state = current_app.extensions[EXTENSION]
    if state["fetcher"] is None:
        state["fetcher"] = threading.local()
    local = state["fetcher"]
    if getattr(local, "fetcher", None) is None:
        local.fetcher = make_fetcher(current_app.config)
    return local.fetcher  # type: ignore[no-any-return]


def make_fetcher(config: Mapping[str, Any]) -> Fetcher:
    """A fetcher with the app's timeouts, size cap, address guard and politeness settings."""
    return Fetcher(
        config["USER_AGENT"],
        connect_timeout=config["FETCH_CONNECT_TIMEOUT"],
        read_timeout=config["FETCH_READ_TIMEOUT"],
        total_timeout=config["FETCH_TOTAL_TIMEOUT"],
        max_bytes=config["FETCH_MAX_BYTES"],
        allow_private=config["ALLOW_PRIVATE_URLS"],
        host_delay=config["HOST_DELAY"],
        redis_url=config.get("REDIS_URL"),
    )


def parse_now(now: str | datetime | None) -> datetime:
    """`--now` and job arguments: an ISO string (aware or UTC) or nothing for the clock."""
    if now is None:
        return datetime.now(UTC)
    value = datetime.fromisoformat(now) if isinstance(now, str) else now
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def refresh_source(source_id: int, now: str | None = None, force: bool = False) -> dict[str, Any]:
    """Job: refresh one source. A source deleted meanwhile is nothing to do."""
    moment = parse_now(now)
    again = _counted_run()
    session = db.session()
    source = session.get(Source, source_id)
    if source is None:
        return {"source_id": source_id, "ok": True, "message": "source no longer exists"}
    config = current_app.config
    window = Window.around(moment, config["WINDOW_DAYS"])
    result: RefreshResult = refresh(
        session,
        source,
        fetcher(),
        moment,
        window,
        force=force,
        max_pages=config["MAX_PAGES_PER_RUN"],
    )
    if source.kind == "page" and source.refresh_interval == config["REFRESH_INTERVAL"]:
        source.refresh_interval = config["PAGE_REFRESH_INTERVAL"]  # pages change less often
        if result.ok:
            source.next_fetch_at = moment + timedelta(seconds=source.refresh_interval)
        session.commit()
    log.info("refresh source=%s owner=%s: %s", source.id, source.owner_id, result.message)
    if result.transient and _retries_left() > 0:
        raise TransientFailure(f"source {source.id}: {result.message}; retried later")
    if result.ok:
        _geocode_venues(source.owner_id, moment)
        report = result.report
        if (report is not None and (report.added or report.updated or report.gone)) or again:
            from planner.recommend import enqueue_evidence

            enqueue_evidence(source.owner_id)  # who speaks, hosts or is likely there
    return result.as_dict()


def tick(now: str | None = None) -> dict[str, Any]:
    """Job: one tick of the schedule (`planner.schedule`): queue what is due now. Queued every
    minute by the scheduler process (`worker.py --cron`); each job it queues has an id naming
    its period, so a second scheduler or a repeated tick queues nothing twice."""
    from planner.schedule import run_tick

    return {"jobs": run_tick(parse_now(now))}


def _counted_run() -> bool:
    """Count this run of the RQ job in its meta (saved at once, before any work); True when RQ
    runs it again (a retry, or its worker died): the run before may have stored the events and
    then failed to queue the jobs that follow (Redis gone), and this run finds nothing changed,
    so it queues them anyway. False outside a worker."""
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        return False
    runs = int(job.meta.get("runs", 0)) + 1
    job.meta["runs"] = runs
    job.save_meta()
    retries = len(KINDS["refresh_source"].retries)
    retried = job.retries_left is not None and job.retries_left < retries
    return runs > 1 or retried


def _retries_left() -> int:
    """Retries RQ still has for the running job (0 outside a worker: nothing retries it)."""
    from rq import get_current_job

    job = get_current_job()
    return (job.retries_left or 0) if job is not None else 0


def _geocode_venues(owner_id: int, moment: datetime) -> None:
    """New venues get coordinates: a job of its own on a worker; without Redis, right after the
    refresh (which is itself the job)."""
    from planner.geocode import enqueue_geocode, geocode_events

    if queue("geocode") is None:
        geocode_events(owner_id, moment.isoformat())
    else:
        enqueue_geocode("events", owner_id)


def due_sources(now: datetime) -> list[int]:
    """Ids of sources whose next refresh is due."""
    session = db.session()
    query = (
        select(Source.id)
        .where(or_(Source.next_fetch_at.is_(None), Source.next_fetch_at <= now))
        .order_by(Source.id)
    )
    return list(session.scalars(query))


def enqueue_refresh(source_id: int, now: datetime | None = None) -> Any:
    """Queue (or run) a refresh of one source; the job id names the source and the hour."""
    moment = now or datetime.now(UTC)
    job_id = f"refresh-{source_id}-{moment:%Y%m%d%H}"
    return enqueue(refresh_source, source_id, moment.isoformat(), job_id=job_id, unique=False)
