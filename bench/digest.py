"""Benchmark the weekly digest: compose and send to a local SMTP server; prints one JSON object
(never asserts times).

    .venv/bin/python bench/digest.py [--sizes 1000,5000,10000] [--events-per-user 5] [--batch 500]
    .venv/bin/python bench/digest.py --via worker [--sizes 1000] [--threads 4 | 2,4,8]

For each size: a child process seeds a fresh SQLite database with that many users (homes in
Berlin and six time zones, every digest due at NOW) and 5 events each (events are per-user
copies in planner, so 10,000 users make 50,000 events); an SMTP sink (aiosmtpd, which does not
offer PIPELINING: four answers to wait for per message) runs in its own process and counts what
it accepts; a third process sends every due digest and reports.

What is timed, per message, is planner's own send path: `claim` (insert + commit of the
(user, week) row), `deliver` (compose: sections, budget, subject; render the text and HTML
templates; build the MIME message; hand it to the SMTP server over the one connection the
sender keeps open, as `send_digests` does; record "sent", a second commit), and a commit of
what was read and remembered before the send, as a job makes. "Recommendations already
computed" means the ranking is not timed (bench/rank.py measures it): for each batch of users,
their events are read from the database and turned into the matcher's answer (a Match per event
with goal, place and time reasons and two contacts with evidence, and people-to-meet
suggestions) before the clock runs for that batch; reading those rows is reported apart. Users
stream in batches; no message is kept after it is sent. Peak
memory is the sending process's VmHWM, for each size.

`--via worker` measures the deployed path instead, end to end: Redis (the machine's, database 1,
flushed), the real fan-out (`send_digests` queues one job per due user on the mail queue; its
time is reported), then the real `worker.py --burst mail` sends them all: each job reads its
user, ranks their events (the ranking is timed here: nothing is precomputed), composes, claims
and sends. Once with `--threads N` (N jobs at a time in one process, each thread keeping its
SMTP connection) for each size, each count of `--threads 2,4,8` in turn; and once as a forking
worker (a work horse and a new SMTP connection per job) on the first size, as the baseline.
A worker's start-up and exit on an empty queue are timed on their own and taken off (`net`).
Each run starts from a copy of the same seeded database.

`--phase seed|send|sink|queue --workdir DIR ...` runs one child (internal).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday: one ISO week in every zone below
ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
         "Asia/Tokyo", "Australia/Sydney")  # fmt: skip
TITLES = ("PyBerlin Talks: Typed Python", "Rust Meetup Berlin: async in practice",
          "Data Engineering Night", "Frontend Coffee", "ML in Production: lessons learned",
          "Women in Tech Breakfast", "Kubernetes Berlin", "Product Camp")  # fmt: skip
TARGET_PER_S = 100.0
BASE_URL = "https://planner.example.org"
STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
REDIS = "redis://127.0.0.1:6379/1"  # flushed: the same database as bench/scale.py
SECRET = "bench-" + "k" * 26
MAIL_FROM = "planner <digest@planner.example.org>"


def progress(message: str) -> None:
    print(f"[bench {time.perf_counter() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_app(workdir: str, smtp_url: str | None = None, redis_url: str | None = None) -> Any:
    from planner import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
            "INSTANCE_PATH": f"{workdir}/instance",
            "REDIS_URL": redis_url,
            "SMTP_URL": smtp_url,
            "BASE_URL": BASE_URL,
            "MAIL_FROM": MAIL_FROM,
        },
        serving=False,
    )


# --- the seeded world ---------------------------------------------------------------------------


def phase_seed(args: argparse.Namespace) -> dict[str, Any]:
    """Users and their events, written in batches (Core inserts, as a bulk import would)."""
    from sqlalchemy import insert

    from planner import db
    from planner.db import upgrade
    from planner.models import Contact, ContactEvidence, Event, Goal, User

    app = make_app(args.workdir)
    upgrade(app.config["DATABASE_URL"])
    rng = random.Random(args.users)
    begin = time.perf_counter()
    per = args.events_per_user
    with app.app_context():
        session = db.session()
        for first in range(1, args.users + 1, args.batch):
            ids = range(first, min(first + args.batch, args.users + 1))
            session.execute(insert(User), [_user(n, rng) for n in ids])
            events = [_event(n, k, per, rng) for n in ids for k in range(per)]
            session.execute(insert(Event), events)
            session.execute(insert(Goal), [goal for n in ids for goal in _goals(n)])
            session.execute(insert(Contact), [c for n in ids for c in _contacts(n, rng)])
            evidence = [_evidence(n, k, per) for n in ids for k in range(per)]
            session.execute(insert(ContactEvidence), evidence)
            session.commit()
    return {"users": args.users, "events": args.users * args.events_per_user,
            "seconds": round(time.perf_counter() - begin, 2)}  # fmt: skip


def _user(number: int, rng: random.Random) -> dict[str, Any]:
    from planner.mail import new_mail_key

    return {
        "id": number, "email": f"user{number}@example.org", "name": f"User {number}",
        "timezone": ZONES[number % len(ZONES)], "home_location": "Berlin, Germany",
        "home_lat": 52.52 + rng.uniform(-0.05, 0.05), "home_lon": 13.40 + rng.uniform(-0.05, 0.05),
        "home_geocoded_at": NOW, "radius_km": 25, "events_per_week": 2, "events_per_month": 6,
        # due at NOW in every zone: Wednesday 00:00 came less than a day before (Sydney: 23 h)
        "digest_weekday": 2, "digest_hour": 0, "mail_key": new_mail_key(),
        "created_at": NOW - timedelta(days=30),
    }  # fmt: skip


def _event(owner: int, k: int, per: int, rng: random.Random) -> dict[str, Any]:
    where = ("near", "near", "near", "far", "online")[k % 5]
    lat, lon = {"near": (52.52, 13.40), "far": (48.14, 11.58), "online": (None, None)}[where]
    start = NOW + timedelta(days=1 + 4 * k, hours=rng.randint(5, 8))
    return {
        "id": (owner - 1) * per + k + 1,
        "owner_id": owner, "fingerprint": f"{owner}-{k}", "title": TITLES[(owner + k) % 8],
        "start": start, "end": start + timedelta(hours=2), "timezone": "Europe/Berlin",
        "venue": "Kiezwerk Coworking" if lat else None,
        "address": "Invalidenstraße 112, 10115 Berlin" if where == "near" else None,
        "lat": lat and lat + rng.uniform(-0.02, 0.02),
        "lon": lon and lon + rng.uniform(-0.02, 0.02),
        "attendance": "online" if where == "online" else "in_person", "organizers": [],
        "categories": [], "geocoded_at": NOW, "first_seen_at": NOW, "last_seen_at": NOW,
        "updated_at": NOW,
        "description": "Talks and a drink afterwards. Talk by Hanna Vogel (Zalando) on typed "
                       "Python in production; organized by Jonas Weber.",
    }  # fmt: skip


def _goals(owner: int) -> list[dict[str, Any]]:
    """What `--via worker` ranks against (the process mode's answers are made up front)."""
    return [
        {"owner_id": owner, "text": "meet Python developers", "priority": 1, "created_at": NOW},
        {"owner_id": owner, "text": "learn about ML in production", "priority": 2,
         "created_at": NOW},
    ]  # fmt: skip


def _contacts(owner: int, rng: random.Random) -> list[dict[str, Any]]:
    """Two contacts in Berlin: Hanna Vogel speaks at each of the user's events."""
    where = {"city": "Berlin", "geocoded_at": NOW, "created_at": NOW, "updated_at": NOW}
    return [
        {"id": 2 * owner - 1, "owner_id": owner, "name": "Hanna Vogel", "company": "Zalando",
         "tie": "close", "tags": ["python"], "lat": 52.52 + rng.uniform(-0.05, 0.05),
         "lon": 13.40 + rng.uniform(-0.05, 0.05), **where},
        {"id": 2 * owner, "owner_id": owner, "name": "Mehmet Aydın", "company": "Mobimeo",
         "tie": "regular", "tags": ["polars"], "lat": 52.50, "lon": 13.45, **where},
    ]  # fmt: skip


def _evidence(owner: int, k: int, per: int) -> dict[str, Any]:
    """Hanna Vogel speaking at the user's k-th event, as `update_evidence` finds it."""
    return {
        "event_id": (owner - 1) * per + k + 1, "contact_id": 2 * owner - 1, "owner_id": owner,
        "role": "speaker", "strength": 1.0,
        "evidence": 'the description says: "Talk by Hanna Vogel (Zalando)" — "Zalando", as in '
                    "your contacts",
    }  # fmt: skip


# --- "recommendations already computed" ----------------------------------------------------------


def recommended(users: list[Any], events: dict[int, list[Any]]) -> dict[int, tuple[Any, Any]]:
    """Each user's matcher answer for their events, as `recommend` and `people_to_meet` return
    it: (found, to_meet)."""
    from planner import matcher
    from planner.meet import ToMeet
    from planner.models import Contact
    from planner.recommend import Recommended

    answers = {}
    for user in users:
        found, to_meet = [], []
        for n, event in enumerate(events.get(user.id, [])):
            claims = [
                matcher.ContactAtEvent(1, "Hanna Vogel", "speaker", 'the description says: "Talk '
                                       'by Hanna Vogel (Zalando)" — "Zalando", as in your contacts',
                                       "close", ("python",)),
                matcher.ContactAtEvent(2, "Mehmet Aydın", "likely", "likely there, not confirmed:"
                                       " lives 2 km from the venue (Berlin) and lists polars"),
            ]  # fmt: skip
            reasons = [
                matcher.Reason("goal", 'matches your goal "meet Python developers": Python, Typed'),
                matcher.Reason("contact", "Hanna Vogel is speaking (a close contact)"),
                matcher.Reason("place", "1.9 km from home (Kiezwerk Coworking)"),
                matcher.Reason("time", "Wednesday 19:00, in your free time"),
            ]
            match = matcher.Match(event.id, 1.0 - n / 10, reasons, claims)
            found.append(Recommended(match, event))
            if n == 0:
                to_meet.append(_meeting(ToMeet, Contact, matcher, event, claims[0]))
        answers[user.id] = (found, to_meet)
    return answers


def _meeting(to_meet: Any, contact_row: Any, matcher: Any, event: Any, claim: Any) -> Any:
    contact = matcher.Contact(claim.contact_id, claim.name, tie="close")
    suggestion = matcher.Suggestion(
        contact, "meet", f'{claim.name} is speaking at "{event.title}"',
        ("a close contact", 'fits your goal "meet Python developers": python'),
        event_id=event.id, worth=1.0, personal=2,
    )  # fmt: skip
    return to_meet(suggestion, contact_row(id=claim.contact_id, name=claim.name), event)


# --- sending --------------------------------------------------------------------------------------


def phase_send(args: argparse.Namespace) -> dict[str, Any]:
    from planner import db
    from planner.digest import compose
    from planner.mail import new_message_id
    from planner.sending import claim, deliver
    from planner.smtp import one_connection

    app = make_app(args.workdir, f"smtp://127.0.0.1:{args.port}")
    ready_rss = peak_rss_mb()
    sent = empty = 0
    timed = cpu = reading = 0.0
    begin = time.perf_counter()
    with app.app_context(), one_connection():
        session = db.session()
        for users, answers, seconds in batches(args.batch):
            reading += seconds
            clock, cpu_clock = time.perf_counter(), time.process_time()
            for user in users:
                found, to_meet = answers[user.id]

                def read(
                    session: Any, user: Any, now: datetime, found=found, to_meet=to_meet
                ) -> Any:  # noqa: E501
                    return compose(user, found, to_meet, [], [], [], now)

                row = claim(session, user, "2026-W48", new_message_id(BASE_URL))
                assert row is not None
                said = deliver(session, user, row, NOW, read)
                session.expunge_all()  # as `send_digests` does after each user
                sent += said["status"] == "sent"
                empty += said["status"] == "empty"
            timed += time.perf_counter() - clock
            cpu += time.process_time() - cpu_clock
    total = time.perf_counter() - begin
    return {"sent": sent, "empty": empty, "timed_s": timed, "cpu_s": cpu, "reading_s": reading,
            "total_s": total, "ready_rss_mb": ready_rss, "peak_rss_mb": peak_rss_mb()}  # fmt: skip


def batches(size: int) -> Any:
    """(users, their precomputed answers, seconds spent reading) per batch of due users."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session, selectinload

    from planner import db
    from planner.models import Event, EventSource, User
    from planner.schedule import due_digests

    # rows read apart from the sending session, as each job of a worker reads only its user's
    session = Session(db.engine(), expire_on_commit=False)
    pending: list[int] = []
    due = due_digests(NOW)
    while True:
        clock = time.perf_counter()
        pending = [user_id for user_id, _, _ in _take(due, size)]
        if not pending:
            return
        users = list(session.scalars(select(User).where(User.id.in_(pending)).order_by(User.id)))
        events: dict[int, list[Any]] = {}
        links = selectinload(Event.links).selectinload(EventSource.source)
        query = (
            select(Event)
            .where(Event.owner_id.in_(pending))
            .options(selectinload(Event.people), links)
            .order_by(Event.owner_id, Event.start)
        )
        for event in session.scalars(query):
            events.setdefault(event.owner_id, []).append(event)
        answers = recommended(users, events)
        session.commit()  # ends the read; the rows stay loaded (a rollback would expire them)
        yield users, answers, time.perf_counter() - clock
        session.expunge_all()


def _take(iterator: Any, count: int) -> list[Any]:
    taken = []
    for item in iterator:
        taken.append(item)
        if len(taken) == count:
            break
    return taken


# --- the SMTP sink ------------------------------------------------------------------------------


class Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0
        self.connections = 0

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections += 1  # one EHLO per connection (and one more after STARTTLS)
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages += 1
        self.bytes += len(envelope.original_content or b"")
        return "250 OK"


def phase_sink(args: argparse.Namespace) -> dict[str, Any]:
    """Accept and count until SIGTERM; then say how many."""
    from aiosmtpd.controller import Controller

    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    return {
        "messages": counter.messages,
        "bytes": counter.bytes,
        "cpu_s": time.process_time(),
        "connections": counter.connections,
    }


# --- through Redis and the real worker ---------------------------------------------------------


def phase_queue(args: argparse.Namespace) -> dict[str, Any]:
    """The real fan-out: `send_digests` queues one `send_digest` job per due user."""
    from planner.schedule import send_digests

    app = make_app(args.workdir, f"smtp://127.0.0.1:{args.port}", args.redis)
    with app.app_context():
        begin = time.perf_counter()
        said = send_digests(NOW.isoformat())
    return {**said, "seconds": time.perf_counter() - begin}


def worker_env(workdir: str, port: int, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    settings = {
        "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
        "INSTANCE_PATH": f"{workdir}/instance",
        "REDIS_URL": redis_url,
        "SMTP_URL": f"smtp://127.0.0.1:{port}",
        "BASE_URL": BASE_URL,
        "MAIL_FROM": MAIL_FROM,
        "SECRET_KEY": SECRET,
        "WORKER_NICE": "0",  # the sink runs at 0 too: the worker's own pace
    }
    env.update({f"PLANNER_{name}": value for name, value in settings.items()})
    return env


def run_worker(workdir: str, port: int, redis_url: str, threads: int) -> tuple[float, float]:
    """`worker.py --burst [--threads N] mail` until it exits: (wall seconds, its CPU seconds,
    the work horses' included)."""
    command = [sys.executable, str(ROOT / "worker.py"), "--burst"]
    command += ["--threads", str(threads)] if threads else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    with open(Path(workdir) / "worker.log", "ab") as log:
        subprocess.run([*command, "mail"], cwd=ROOT, env=worker_env(workdir, port, redis_url),
                       stdout=subprocess.DEVNULL, stderr=log, check=True)  # fmt: skip
    seconds = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def seed_copy(workdir: Path) -> None:
    """The seeded database, whole in one file (its write-ahead log written back), as
    `seed.sqlite3`: each round starts from a copy."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(workdir / "bench.sqlite3")) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")  # no log beside the copies
    os.replace(workdir / "bench.sqlite3", workdir / "seed.sqlite3")


def run_via_worker(
    args: argparse.Namespace, workdir: str, users: int, threads: int
) -> dict[str, Any]:
    """One round on a copy of the seeded database: fan-out, then one worker sends them all."""
    from redis import Redis

    for leftover in ("bench.sqlite3-wal", "bench.sqlite3-shm"):  # the last round's
        (Path(workdir) / leftover).unlink(missing_ok=True)
    shutil.copyfile(Path(workdir) / "seed.sqlite3", Path(workdir) / "bench.sqlite3")
    redis = Redis.from_url(args.redis)
    redis.flushdb()
    port = free_port()
    sink = subprocess.Popen(child("sink", args, workdir, port=port), stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    try:
        empty = run_worker(workdir, port, args.redis, threads)  # start-up and exit alone
        label = f"--threads {threads}" if threads else "forking"
        progress(f"{users} users, {label}: queueing")
        queued = last_json(subprocess.run(child("queue", args, workdir, port=port), check=True,
                                          stdout=subprocess.PIPE, text=True).stdout)  # fmt: skip
        progress(f"{users} users, {label}: {queued['due']} queued; worker sending")
        seconds, cpu = run_worker(workdir, port, args.redis, threads)
    finally:
        sink.send_signal(signal.SIGTERM)
        counted = last_json(sink.communicate(timeout=60)[0])
        redis.flushdb()
    net = max(seconds - empty[0], 1e-9)
    progress(f"{users} users, {label}: {counted['messages']} sent in {seconds:.1f} s")
    return {
        "users": users, "worker": label, "queued": queued["due"],
        "queue_seconds": round(queued["seconds"], 2),
        "queued_per_s": round(queued["due"] / max(queued["seconds"], 1e-9), 1),
        "messages": counted["messages"], "worker_seconds": round(seconds, 2),
        "empty_worker_seconds": round(empty[0], 2),
        "messages_per_s": round(counted["messages"] / seconds, 1),
        "messages_per_s_net": round(counted["messages"] / net, 1),
        "worker_cpu_s": round(cpu - empty[1], 2),
        "messages_per_worker_cpu_s": round(counted["messages"] / max(cpu - empty[1], 1e-9), 1),
        "smtp_server_cpu_s": round(counted["cpu_s"], 2),
        "smtp_connections": counted["connections"],
    }  # fmt: skip


def run_worker_bench(args: argparse.Namespace) -> dict[str, Any]:
    from redis import Redis

    Redis.from_url(args.redis).ping()  # a clear error now rather than after seeding
    load = [round(x, 2) for x in os.getloadavg()]
    runs = []
    for n, users in enumerate(int(n) for n in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="planner-bench-digest-") as workdir:
            progress(f"{users} users: seeding")
            subprocess.run(child("seed", args, workdir, users=users), check=True,
                           stdout=subprocess.PIPE, text=True)  # fmt: skip
            seed_copy(Path(workdir))
            if n == 0:
                runs.append(run_via_worker(args, workdir, users, 0))
            for threads in (int(t) for t in str(args.threads).split(",")):
                runs.append(run_via_worker(args, workdir, users, threads))
    base, threaded = runs[0], [run for run in runs if run["worker"] != "forking"]
    return {
        "what": "the deployed path: send_digests queues one job per due user on Redis, then "
                "one worker.py --burst process sends them all to a local SMTP server (aiosmtpd, "
                "another process); each job reads its user, ranks their events, composes, "
                "claims the (user, week) row and sends",
        "database": "SQLite file (a copy of the same seeded database for each run)",
        "redis": args.redis + " (flushed)", "threads": args.threads,
        "now": NOW.isoformat(), "events_per_user": args.events_per_user,
        "machine": {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                    "load_average_before": load,
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "runs": runs,
        "vs_forking_same_size": {
            run["worker"]: round(run["messages_per_s_net"] / max(base["messages_per_s_net"],
                                                                 1e-9), 2)
            for run in threaded if run["users"] == base["users"]},
        "net": "messages_per_s_net takes off the time a worker needs to start and to exit on "
               "an empty queue (empty_worker_seconds, measured in the same round)",
    }  # fmt: skip


# --- the whole benchmark ------------------------------------------------------------------------


def child(phase: str, args: argparse.Namespace, workdir: str, **more: Any) -> list[str]:
    command = [sys.executable, __file__, "--phase", phase, "--workdir", workdir]
    command += ["--batch", str(args.batch), "--events-per-user", str(args.events_per_user)]
    command += ["--redis", args.redis]
    for name, value in more.items():
        command += [f"--{name}", str(value)]
    return command


def last_json(text: str) -> dict[str, Any]:
    return json.loads(text.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_size(args: argparse.Namespace, users: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="planner-bench-digest-") as workdir:
        progress(f"{users} users: seeding")
        seeded = subprocess.run(child("seed", args, workdir, users=users), check=True,
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        port = free_port()
        sink = subprocess.Popen(
            child("sink", args, workdir, port=port), stdout=subprocess.PIPE, text=True
        )
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
        progress(f"{users} users: sending")
        sent = subprocess.run(child("send", args, workdir, port=port), check=True,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
        sink.send_signal(signal.SIGTERM)
        counted = last_json(sink.communicate(timeout=60)[0])
    figures = last_json(sent.stdout)
    progress(f"{users} users: {figures['sent']} sent in {figures['timed_s']:.1f} s")
    return {
        "users": users, "events": last_json(seeded.stdout)["events"],
        "messages": counted["messages"], "sent_rows": figures["sent"],
        "seconds": round(figures["timed_s"], 2),
        "messages_per_s": round(counted["messages"] / figures["timed_s"], 1),
        "sender_cpu_s": round(figures["cpu_s"], 2),
        "messages_per_sender_cpu_s": round(counted["messages"] / figures["cpu_s"], 1),
        "smtp_server_cpu_s": round(counted["cpu_s"], 2),
        "reading_rows_s": round(figures["reading_s"], 2),
        "end_to_end_s": round(figures["total_s"], 2),
        "end_to_end_messages_per_s": round(counted["messages"] / figures["total_s"], 1),
        "mean_message_kb": round(counted["bytes"] / max(counted["messages"], 1) / 1024, 1),
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "rss_after_imports_mb": round(figures["ready_rss_mb"], 1),
    }  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    load = [round(x, 2) for x in os.getloadavg()]
    sizes = [run_size(args, int(n)) for n in args.sizes.split(",")]
    largest = sizes[-1]
    rss = [s["peak_rss_mb"] for s in sizes]
    return {
        "what": "compose + send of each user's weekly digest, one process, to a local SMTP "
                "server (aiosmtpd in another process), over one SMTP connection kept open",
        "timed": "claim (insert + commit of the (user, week) row), compose (sections, budget, "
                 "subject), render text + HTML, build the MIME message, SMTP send, record sent "
                 "(commit)",
        "not_timed": "ranking (the matcher's answer per user is built from the user's events "
                     "before each batch: 'recommendations already computed'); reading user "
                     "and event rows is reported as reading_rows_s",
        "now": NOW.isoformat(), "events_per_user": args.events_per_user, "batch": args.batch,
        "machine": {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                    "load_average_before": load,
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "sizes": sizes,
        "messages": largest["messages"], "seconds": largest["seconds"],
        "messages_per_s": largest["messages_per_s"],
        "peak_rss_mb_by_users": {str(s["users"]): s["peak_rss_mb"] for s in sizes},
        "memory": "VmHWM of the sending process (interpreter, imports, one batch of users)",
        "cpu": "messages_per_sender_cpu_s divides by the sending process's own CPU time: the "
               "rate it sustains with a core to itself; messages_per_s is wall time, lower when "
               "the SMTP server (smtp_server_cpu_s) and other work share the cores",
        "targets": {
            "messages_per_s": {"min": TARGET_PER_S, "value": largest["messages_per_s"],
                               "met": largest["messages_per_s"] >= TARGET_PER_S},
            "memory_flat": {"max_growth_mb": 20.0, "value": round(max(rss) - min(rss), 1),
                            "met": max(rss) - min(rss) <= 20.0},
        },
    }  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="1000,5000,10000", help="user counts, one run each")
    parser.add_argument("--events-per-user", type=int, default=5)
    parser.add_argument("--batch", type=int, default=500, help="users read at once")
    parser.add_argument("--via", choices=["process", "worker"], default="process",
                        help="process: send in this process (the target's figure); worker: "
                             "through Redis and worker.py")  # fmt: skip
    parser.add_argument("--threads", default="4",
                        help="--via worker: the worker's threads (2,4,8: each)")  # fmt: skip
    parser.add_argument("--redis", default=REDIS, help="--via worker: a Redis database to flush")
    parser.add_argument("--phase", choices=["seed", "send", "sink", "queue"],
                        help=argparse.SUPPRESS)  # fmt: skip
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.phase:
        run = {"seed": phase_seed, "send": phase_send, "sink": phase_sink,
               "queue": phase_queue}[args.phase]  # fmt: skip
        print(json.dumps(run(args)))
        return 0
    bench = run_worker_bench if args.via == "worker" else run_bench
    print(json.dumps(bench(args), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
