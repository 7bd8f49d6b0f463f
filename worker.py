"""An RQ worker for planner: `python worker.py [--burst] [--with-scheduler] [QUEUE ...]`, or
the scheduler process: `python worker.py --cron`.

A worker takes the queues fetch, geocode, match, mail in that order (or the ones named). Each job
runs inside a planner app context (database session, settings), like Flask-RQ does, with a
database connection of its own. `--with-scheduler` also runs RQ's scheduler, which re-queues
jobs waiting for a retry (run it on every worker: they elect one among themselves).

`--cron` runs RQ's cron scheduler instead: it queues `planner.jobs.tick` every minute, and each
tick queues what is due (refreshes, geocoding, digests) under ids naming their period, so that
two schedulers, or a restarted one, queue nothing twice. Run one (a second is harmless).

A worker outlives a Redis outage: RQ's worker gives up when Redis goes away in the middle of a
job, so this waits until Redis answers again and starts a new worker (a job whose end could not be
recorded is retried by RQ as abandoned; jobs are idempotent).

A worker lowers its own CPU priority by PLANNER_WORKER_NICE (10 unless set; 0 leaves it), so
that where it shares a machine with the web app, page views come first.

Needs PLANNER_REDIS_URL; the database is PLANNER_DATABASE_URL as for the web app.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from typing import Any

from redis import Redis
from redis.exceptions import ConnectionError as RedisDown
from redis.exceptions import TimeoutError as RedisSlow
from rq import Queue, Worker
from rq.job import Job

import planner.db
import planner.jobs  # preloaded: the forked work horse starts jobs at once
from planner import create_app
from planner.geo import load_index

log = logging.getLogger("planner.worker")
REDIS_WAIT_MAX = 30.0  # seconds between two tries to reach Redis again, at most
app = create_app()
load_index()  # the offline gazetteer, built once here instead of in every forked job


class AppJob(Job):
    """A job that runs with the planner app pushed, and a database connection of its own."""

    def perform(self) -> Any:
        with app.app_context():
            planner.db.dispose()  # never reuse a connection inherited across fork
            return super().perform()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("queues", nargs="*", default=list(planner.jobs.QUEUES))
    parser.add_argument("--burst", action="store_true", help="quit when the queues are empty")
    parser.add_argument("--with-scheduler", action="store_true", help="also run RQ's scheduler")
    parser.add_argument(
        "--cron", action="store_true", help="run the scheduler process (no jobs) instead"
    )
    args = parser.parse_args(argv)
    url = app.config.get("REDIS_URL")
    if not url:
        print("worker.py: PLANNER_REDIS_URL is not set", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    connection = Redis.from_url(url)
    if args.cron:
        return run_cron(connection)
    nice = app.config["WORKER_NICE"]
    if not 0 <= nice <= 19:
        print(f"worker.py: PLANNER_WORKER_NICE={nice} is not between 0 and 19", file=sys.stderr)
        return 2
    os.nice(nice)  # page views first where the web app shares the machine
    queues = [Queue(name, connection=connection) for name in args.queues]
    return work(connection, queues, args.burst, args.with_scheduler)


def work(connection: Redis, queues: list[Queue], burst: bool, with_scheduler: bool) -> int:
    """Run RQ workers one after the other: a new one when the last gave up because Redis went
    away (once Redis answers again), until one stops on request or, in burst mode, is done."""
    while True:
        worker = Worker(queues, connection=connection, job_class=AppJob)
        try:
            worker.work(burst=burst, with_scheduler=with_scheduler)
        except (RedisDown, RedisSlow) as exc:
            log.error("worker %s lost Redis (%s)", worker.name, exc)
            if worker.pubsub_thread is not None:  # its listener for `rq` commands: let it go
                worker.pubsub_thread.stop()
        up = _answers(connection)
        if burst or up:  # done, or stopped on request (or for a reason of its own)
            return 0 if up else 1
        log.error("waiting for Redis to answer again")
        _wait_for(connection)
        log.info("Redis answers again: starting a new worker")


def _answers(connection: Redis) -> bool:
    try:
        return bool(connection.ping())
    except (RedisDown, RedisSlow):
        return False


def _wait_for(connection: Redis) -> None:
    """Until Redis answers; SIGTERM or SIGINT meanwhile end the process (no job is in hand)."""

    def leave(signum: int, _frame: Any) -> None:
        log.info("stopping on signal %s while waiting for Redis", signum)
        raise SystemExit(0)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, leave)
    pause = 1.0
    while not _answers(connection):
        time.sleep(pause)
        pause = min(pause * 2, REDIS_WAIT_MAX)


def run_cron(connection: Redis) -> int:
    from rq.cron import CronScheduler

    from planner.schedule import TICK_SECONDS

    scheduler = CronScheduler(connection=connection)
    scheduler.register(planner.jobs.tick, queue_name="fetch", interval=int(TICK_SECONDS))
    scheduler.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
