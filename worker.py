"""An RQ worker for planner: `python worker.py [--burst] [--with-scheduler] [QUEUE ...]`, or
the scheduler process: `python worker.py --cron`.

A worker takes the queues fetch, geocode, match, mail in that order (or the ones named). Each job
runs inside a planner app context (database session, settings), like Flask-RQ does, with a
database connection of its own. `--with-scheduler` also runs RQ's scheduler, which re-queues
jobs waiting for a retry (run it on every worker: they elect one among themselves).

`--cron` runs RQ's cron scheduler instead: it queues `planner.jobs.tick` every minute, and each
tick queues what is due (refreshes, geocoding, digests) under ids naming their period, so that
two schedulers, or a restarted one, queue nothing twice. Run one (a second is harmless).

Needs PLANNER_REDIS_URL; the database is PLANNER_DATABASE_URL as for the web app.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from redis import Redis
from rq import Queue, Worker
from rq.job import Job

import planner.db
import planner.jobs  # preloaded: the forked work horse starts jobs at once
from planner import create_app
from planner.geo import load_index

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
    queues = [Queue(name, connection=connection) for name in args.queues]
    worker = Worker(queues, connection=connection, job_class=AppJob)
    worker.work(burst=args.burst, with_scheduler=args.with_scheduler)
    return 0


def run_cron(connection: Redis) -> int:
    from rq.cron import CronScheduler

    from planner.schedule import TICK_SECONDS

    scheduler = CronScheduler(connection=connection)
    scheduler.register(planner.jobs.tick, queue_name="fetch", interval=int(TICK_SECONDS))
    scheduler.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
