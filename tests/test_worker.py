"""Jobs through a real RQ worker (`worker.py --burst`) on the machine's Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from rq.job import JobStatus

from planner import db
from planner.demo import build_feeds
from planner.jobs import enqueue_refresh, queue
from planner.models import Source
from planner.sources import add_source, owner
from tests.conftest import REDIS_URL, need, redis_error
from tests.localserver import LocalServer

ROOT = Path(__file__).parent.parent
pytestmark = pytest.mark.redis


@pytest.fixture
def redis_app(any_app: Flask) -> Flask:
    problem = redis_error()
    if problem:
        need("Redis", problem)
    Redis.from_url(REDIS_URL).flushdb()
    any_app.config["REDIS_URL"] = REDIS_URL
    return any_app


def run_worker(app: Flask, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        PLANNER_DATABASE_URL=app.config["DATABASE_URL"],
        PLANNER_REDIS_URL=REDIS_URL,
        PLANNER_DEBUG="1",
        PLANNER_INSTANCE_PATH=app.instance_path,
        PLANNER_ALLOW_PRIVATE_URLS="1",  # the test servers live on 127.0.0.1
        PLANNER_HOST_DELAY="0",
    )
    return subprocess.run(
        [sys.executable, "worker.py", "--burst", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_refresh_job_runs_on_a_real_worker(redis_app: Flask, local_server: LocalServer) -> None:
    now = datetime.now(UTC)
    feed = build_feeds(now)[0]
    session = db.session()
    source = add_source(session, owner(session), local_server.add("/pyberlin.ics", feed.content))
    session.commit()
    job = enqueue_refresh(source.id, now)
    assert job.get_status() == "queued" and queue().count == 1
    finished = run_worker(redis_app)
    assert finished.returncode == 0, finished.stderr
    job.refresh()
    assert job.get_status() == "finished", finished.stderr
    assert job.return_value()["ok"] is True
    db.session().expire_all()
    stored = db.session().get(Source, source.id)
    assert stored.events_found == 5 and stored.last_error is None
    assert f"refresh source={source.id}" in finished.stderr  # logs name the job's source


def test_a_failing_source_does_not_fail_the_worker(
    redis_app: Flask, local_server: LocalServer
) -> None:
    session = db.session()
    user = owner(session)
    bad = add_source(session, user, local_server.url("/nothing-here.ics"))
    good = add_source(
        session, user, local_server.add("/ok.ics", build_feeds(datetime.now(UTC))[1].content)
    )
    session.commit()
    jobs = [enqueue_refresh(s.id) for s in (bad, good)]
    finished = run_worker(redis_app)
    assert finished.returncode == 0, finished.stderr
    for job in jobs:
        job.refresh()
    assert [j.get_status() for j in jobs] == ["finished", "finished"]
    db.session().expire_all()
    assert "HTTP 404" in db.session().get(Source, bad.id).last_error
    assert db.session().get(Source, good.id).events_found == 4


def test_a_period_job_is_queued_once_however_often_it_is_asked(redis_app: Flask) -> None:
    from planner.jobs import enqueue
    from planner.recommend import update_evidence

    first = enqueue(update_evidence, 1, job_id="evidence-check-1", queue_name="match")
    again = enqueue(update_evidence, 1, job_id="evidence-check-1", queue_name="match")
    assert again.id == first.id and queue("match").count == 1
    coalesced = enqueue(
        update_evidence, 1, job_id="evidence-check-1", queue_name="match", unique=False
    )
    assert coalesced.id == first.id and queue("match").count == 1  # it waits: it will see it


def test_a_job_queued_again_under_its_id_starts_its_run_count_again(redis_app: Flask) -> None:
    """A refresh queued again within its hour (the id names the hour) is a new run, not a retry
    of the one before: it must not count that one's run (which would queue the follow-on jobs
    of a refresh that found nothing new)."""
    now = datetime.now(UTC)
    first = enqueue_refresh(4242, now)
    first.meta["runs"] = 1  # as the worker that ran it left it
    first.save_meta()
    first.set_status(JobStatus.FINISHED)
    again = enqueue_refresh(4242, now)
    assert again.id == first.id
    again.refresh()
    assert again.meta["runs"] == 0


def test_a_coalescing_job_is_queued_again_once_it_has_started(redis_app: Flask) -> None:
    from planner.jobs import enqueue
    from planner.recommend import update_evidence

    first = enqueue(update_evidence, 1, job_id="evidence-check-2", queue_name="match", unique=False)
    again = enqueue(update_evidence, 1, job_id="evidence-check-2", queue_name="match", unique=False)
    assert again.id == first.id and queue("match").count == 1
    taken = queue("match").dequeue_any([queue("match")], None, connection=first.connection)
    assert taken is not None and taken[0].id == first.id
    first.set_status(JobStatus.STARTED)  # as a worker does before it reads the database
    later = enqueue(update_evidence, 1, job_id="evidence-check-2", queue_name="match", unique=False)
    assert later.id == first.id and queue("match").count == 1  # queued again: it may have read


def test_a_transient_failure_is_recorded_and_retried_later(
    redis_app: Flask, local_server: LocalServer
) -> None:
    session = db.session()
    flaky = add_source(session, owner(session), local_server.add("/busy.ics", b"", status=503))
    session.commit()
    job = enqueue_refresh(flaky.id)
    assert job.retries_left == 3
    finished = run_worker(redis_app)
    assert finished.returncode == 0, finished.stderr
    job.refresh()
    assert job.get_status() == "scheduled" and job.retries_left == 2  # RQ runs it again later
    db.session().expire_all()
    assert "HTTP 503" in db.session().get(Source, flaky.id).last_error  # the owner sees why


def test_two_schedulers_queue_a_due_refresh_once(
    redis_app: Flask, local_server: LocalServer
) -> None:
    import time

    from rq.registry import FinishedJobRegistry

    feed = build_feeds(datetime.now(UTC))[0]
    session = db.session()
    source = add_source(session, owner(session), local_server.add("/due.ics", feed.content))
    session.commit()
    env = dict(
        os.environ,
        PLANNER_DATABASE_URL=redis_app.config["DATABASE_URL"],
        PLANNER_REDIS_URL=REDIS_URL,
        PLANNER_DEBUG="1",
        PLANNER_INSTANCE_PATH=redis_app.instance_path,
    )
    schedulers = [
        subprocess.Popen(
            [sys.executable, "worker.py", "--cron"], cwd=ROOT, env=env, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while queue("fetch").count < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # each scheduler queues its first tick at once
    finally:
        for process in schedulers:
            process.terminate()
            process.communicate(timeout=30)
    assert queue("fetch").count == 2
    finished = run_worker(redis_app)
    assert finished.returncode == 0, finished.stderr
    done = FinishedJobRegistry("fetch", connection=Redis.from_url(REDIS_URL)).get_job_ids()
    assert sorted(j.split("-")[0] for j in done if j.startswith("refresh-")) == ["refresh"]
    db.session().expire_all()
    assert db.session().get(Source, source.id).events_found == 5


def test_a_thread_count_out_of_range_is_refused_with_a_message(redis_app: Flask) -> None:
    for count in ("-1", "9"):
        refused = run_worker(redis_app, "--threads", count, "mail")
        assert refused.returncode == 2
        assert "--threads takes 1 to 8" in refused.stderr
