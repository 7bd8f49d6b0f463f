"""An RQ worker for planner: `python worker.py [--burst] [--with-scheduler] [--threads N]
[QUEUE ...]`, or the scheduler process: `python worker.py --cron`.

A worker takes the queues fetch, geocode, match, mail in that order (or the ones named). Each job
runs inside a planner app context (database session, settings), like Flask-RQ does, with a
database connection of its own. `--with-scheduler` also runs RQ's scheduler, which re-queues
jobs waiting for a retry (run it on every worker: they elect one among themselves).

By default a worker forks a work horse for each job (RQ's `Worker`): a job that leaks memory or
hangs takes only its horse down. `--threads N` runs N jobs at a time in this one process
instead, each thread an RQ worker of its own that does not fork; each thread keeps its SMTP
connection open from one message to the next (`planner.smtp.one_connection`) and the database
connections are pooled. That is the worker for the mail queue (`python worker.py --threads 4
mail`): a digest is one short job per user, and most of its time is spent waiting for the mail
server's answers, which the other threads fill. A thread's job is stopped at its time limit by
a timer instead of a signal; SIGTERM or SIGINT lets each thread finish its job and stop, another
one a second or more later stops the process at once (a digest cut off then waits for a person,
as after any crash).

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
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import ConnectionError as RedisDown
from redis.exceptions import TimeoutError as RedisSlow
from rq import Queue, SimpleWorker, Worker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.timeouts import TimerDeathPenalty

import planner.db
import planner.jobs  # preloaded: the forked work horse starts jobs at once
from planner import create_app
from planner.geo import load_index
from planner.smtp import one_connection

log = logging.getLogger("planner.worker")
REDIS_WAIT_MAX = 30.0  # seconds between two tries to reach Redis again, at most
IDLE_WAIT = 5  # seconds an idle thread of `--threads` waits for a job before it looks again
MAX_THREADS = 8  # each thread's job holds a database connection: the pool has 5 (+10 at need)
app = create_app()
load_index()  # the offline gazetteer, built once here instead of in every forked job


class AppJob(Job):
    """A job that runs with the planner app pushed, and a database connection of its own."""

    forked = True  # in a work horse: the pooled connections are the parent's

    def perform(self) -> Any:
        with app.app_context():
            if self.forked:
                planner.db.dispose()  # never reuse a connection inherited across fork
            return super().perform()


class ThreadJob(AppJob):
    """A job run by a thread of `--threads`: the pool's connections are this process's own."""

    forked = False


class ThreadWorker(SimpleWorker):
    """One thread of `--threads N`: an RQ worker that runs its jobs in its own thread. Its time
    limit is kept by a timer (signals reach the main thread only): the job is stopped between
    two Python steps, so a call blocked in C (a socket read, a query) ends by its own timeout.
    It installs no signal handlers (the main thread asks it to `stop_soon`); an idle one
    looks for that request every IDLE_WAIT seconds. `started` is set once it has registered
    (and started RQ's scheduler, if it runs it)."""

    death_penalty_class = TimerDeathPenalty

    def __init__(self, *args: Any, started: threading.Event | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.started = started or threading.Event()

    def _install_signal_handlers(self) -> None:
        self.started.set()  # the last step before the work loop

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> Any:
        """RQ's wait for a job, in spans of IDLE_WAIT: between two, a stop request ends the
        wait (a job once taken is always run). `--burst` (no timeout) looks once."""
        while True:
            if self._stop_requested:
                raise StopRequested()
            span = IDLE_WAIT if max_idle_time is None else min(IDLE_WAIT, max_idle_time)
            found = super().dequeue_job_and_maintain_ttl(timeout, span)
            if found is not None or timeout is None or max_idle_time is not None:
                return found

    def stop_soon(self) -> None:
        """Stop after the job in hand (a warm shutdown), or within IDLE_WAIT when idle."""
        self._stop_requested = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("queues", nargs="*", default=list(planner.jobs.QUEUES))
    parser.add_argument("--burst", action="store_true", help="quit when the queues are empty")
    parser.add_argument("--with-scheduler", action="store_true", help="also run RQ's scheduler")
    parser.add_argument(
        "--cron", action="store_true", help="run the scheduler process (no jobs) instead"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        metavar="N",
        help="run N jobs at a time in threads of this process, without forking (the mail queue)",
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
    if not 0 <= args.threads <= MAX_THREADS:
        print(f"worker.py: --threads takes 1 to {MAX_THREADS} (0: a work horse per job)",
              file=sys.stderr)  # fmt: skip
        return 2
    os.nice(nice)  # page views first where the web app shares the machine
    queues = [Queue(name, connection=connection) for name in args.queues]
    if args.threads:
        return work_threads(connection, queues, args.burst, args.with_scheduler, args.threads)
    return work(connection, queues, args.burst, args.with_scheduler)


def work(
    connection: Redis,
    queues: list[Queue],
    burst: bool,
    with_scheduler: bool,
    make: Callable[[], Worker | ThreadWorker] | None = None,
    stopping: threading.Event | None = None,
) -> int:
    """Run RQ workers one after the other: a new one when the last gave up because Redis went
    away (once Redis answers again), until one stops on request or, in burst mode, is done.
    `make` makes each worker (a forking one by default); `stopping`, when set while waiting for
    Redis, ends the wait (without it, a signal then ends the process)."""
    while True:
        worker = make() if make else Worker(queues, connection=connection, job_class=AppJob)
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
        if not _wait_for(connection, stopping):
            return 0
        log.info("Redis answers again: starting a new worker")


def work_threads(
    connection: Redis, queues: list[Queue], burst: bool, with_scheduler: bool, threads: int
) -> int:
    """`--threads N`: N threads, each running `work` with `ThreadWorker`s inside
    `one_connection()` (its SMTP connection kept from one message to the next), a new worker
    when one ends on its own (unless stopping, or in burst mode). The first thread runs RQ's
    scheduler (when asked) and is started alone, so that the scheduler's process is forked
    before any job runs. The first SIGTERM or SIGINT asks every thread to stop after its job;
    another one, a second or more later, ends the process at once (the scheduler's process
    with it). Returns 1 when a thread ended because Redis was gone (burst), else 0."""
    stopping = threading.Event()
    workers: dict[int, ThreadWorker] = {}  # each thread's current worker
    lock = threading.Lock()
    codes = [1] * threads
    first_signal = [0.0]

    def make(index: int, started: threading.Event) -> ThreadWorker:
        worker = ThreadWorker(queues, connection=connection, job_class=ThreadJob, started=started)
        with lock:
            workers[index] = worker
            if stopping.is_set():
                worker.stop_soon()
        return worker

    def run(index: int, started: threading.Event) -> None:
        scheduler = with_scheduler and index == 0
        while True:
            try:
                with one_connection():
                    code = work(connection, queues, burst, scheduler,
                                lambda: make(index, started), stopping)  # fmt: skip
            except Exception:
                log.exception("worker thread %d: its worker failed", index)
                code = 1
            finally:
                started.set()
            if burst or stopping.is_set():
                codes[index] = code
                return
            log.error("worker thread %d: its worker ended; starting a new one", index)
            stopping.wait(1.0)

    def stop(signum: int, _frame: Any) -> None:
        if stopping.is_set():
            if time.monotonic() - first_signal[0] < 1.0:
                return  # the same stop, said twice (RQ's shutdown command, a supervisor)
            log.warning("stopping at once on another signal %s", signum)
            with lock:
                forked = [w.scheduler._process for w in workers.values() if w.scheduler]
            for process in forked:
                if process is not None and process.pid:
                    with contextlib.suppress(OSError):
                        os.kill(process.pid, signal.SIGTERM)
            os._exit(1)  # jobs in hand are cut off: RQ finds them abandoned and retries them
        first_signal[0] = time.monotonic()
        log.info("signal %s: each thread stops after its job", signum)
        stopping.set()
        with lock:
            for worker in workers.values():
                worker.stop_soon()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    running = []
    for index in range(threads):
        if stopping.is_set():
            codes[index] = 0
            continue
        started = threading.Event()
        thread = threading.Thread(
            target=run, args=(index, started), name=f"planner-worker-{index}", daemon=True
        )
        thread.start()
        running.append(thread)
        if index == 0:
            started.wait(60)  # the scheduler's process forked before other threads work
    for thread in running:
        while thread.is_alive():
            thread.join(1.0)  # in short steps: the main thread takes the signals
    return max(codes)


def _answers(connection: Redis) -> bool:
    try:
        return bool(connection.ping())
    except (RedisDown, RedisSlow):
        return False


def _wait_for(connection: Redis, stopping: threading.Event | None = None) -> bool:
    """Until Redis answers (True), or `stopping` is set meanwhile (False). Without `stopping`
    (the main thread of a forking worker) SIGTERM or SIGINT end the process: no job is in
    hand."""

    def leave(signum: int, _frame: Any) -> None:
        log.info("stopping on signal %s while waiting for Redis", signum)
        raise SystemExit(0)

    if stopping is None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, leave)
    pause = 1.0
    while not _answers(connection):
        if stopping is None:
            time.sleep(pause)
        elif stopping.wait(pause):
            return False
        pause = min(pause * 2, REDIS_WAIT_MAX)
    return stopping is None or not stopping.is_set()


def run_cron(connection: Redis) -> int:
    from rq.cron import CronScheduler

    from planner.schedule import TICK_SECONDS

    scheduler = CronScheduler(connection=connection)
    scheduler.register(planner.jobs.tick, queue_name="fetch", interval=int(TICK_SECONDS))
    scheduler.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
