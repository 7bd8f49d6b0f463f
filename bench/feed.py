"""Benchmark the private calendar feed; prints one JSON object with figures (never asserts times).

    .venv/bin/python bench/feed.py [--events 500] [--per-week 40] [--duration 5] [--rounds 3]
                                   [--workers 2] [--builds 7] [--profile OUT]

Seeds a SQLite database (a file in a temporary folder) with one user in Berlin (3 goals, 200
contacts) and `--events` upcoming events from one source (a speaker and the contact evidence on
a third of them), all in the feed: the matcher's picks (a budget of `--per-week` 40 events a
week lets it pick 200, the most a feed carries: the costliest build), and every other event
marked going, as recommended earlier (so that the feed works out their reasons again). Then, in
the same run:
  fresh build: the feed requested in-process (Flask's test client) right after a real change,
               committed as the web app commits it, each request with its own session;
               `--builds` times, median, wall and CPU: after a mark (one event marked going
               or the mark taken back: the feed cache and the matcher's inputs are stale, the
               records of the events are not: the most frequent change, like a goal or a
               contact), after an event edit (its description: the events' records are read
               again and the matcher's index built again) and from nothing (everything kept
               per user cleared, as in a new process); "parts" times what the feed holds and
               the .ics bytes apart (after a mark);
  serving:     the app (`feed:floor_app()`: `planner.create_app()` in multi-user mode, plus a
               trivial public route, "app_floor", that shows what any request to the app costs)
               and a bare Flask "hello world" (bench/hello.py) under gunicorn with the same
               settings (`--workers` sync workers on 127.0.0.1), each loaded with
               `wrk -t2 -c8 -d<duration>s`: hello world, the app floor, the feed answered 304
               (If-None-Match with its ETag) and the unchanged feed answered 200 from the cache
               (gzip, as calendar clients ask); `--rounds` rounds in turn, median requests/s,
               and the workers' CPU time per request (steadier when the machine is busy).
"machine_pace_ms" times a fixed pure-Python loop before and after the builds: the machine's
pace drifts (shared cores), and a slow pace says the builds ran in a slow spell.
Targets (issue 6, point 4): 304 at least 80% of hello world's rate, the unchanged feed at least
50%, a fresh 500-event build under 150 ms (after a mark). wrk comes from `make wrk` (apt's
wrk). Progress goes to stderr; the machine's load average is reported, as other work skews the
figures.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ingest import code_version
from sqlalchemy import select

from planner import create_app, db
from planner.db import upgrade

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TARGET = {"feed_304_vs_hello": 0.8, "feed_cached_vs_hello": 0.5, "fresh_build_ms": 150.0}
STARTED = time.perf_counter()
GZIP = {"Accept-Encoding": "gzip"}  # as calendar clients ask
EMAIL = "bench@example.org"
TOPICS = (
    ("Typed Python in production", "python typing mypy production code"),
    ("Data pipelines with Polars", "data engineering pipelines polars etl"),
    ("Machine learning in production", "machine learning mlops models production"),
    ("Rust for Pythonistas", "rust performance python extensions"),
    ("Frontend performance", "javascript frontend web performance"),
    ("Kubernetes at small scale", "devops kubernetes platform"),
    ("Hiring and mentoring engineers", "mentoring careers hiring engineering"),
)
VENUES = (
    ("Kiezwerk Coworking", "Invalidenstraße 112, 10115 Berlin, Germany", 52.5312, 13.3846),
    ("Spreeblick Lab", "Rosenthaler Straße 40, 10178 Berlin, Germany", 52.5262, 13.4021),
    ("Gleis 7 Studios", "Am Ostbahnhof 9, 10243 Berlin, Germany", 52.5104, 13.4348),
    ("Werkhalle Kreuzberg", "Schlesische Straße 38, 10997 Berlin, Germany", 52.4990, 13.4470),
    ("Café „Zur Linde“", "Lindenstraße 9; Hof 2, 10969 Berlin, Germany", 52.5050, 13.3940),
)


def progress(message: str) -> None:
    print(f"[bench {time.perf_counter() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


# --- the data ----------------------------------------------------------------------------------


def seed(events: int, now: datetime, per_week: int = 40) -> int:
    """One user, their goals, contacts, a source listing the events, who speaks at a third of
    them and the evidence for it (inside an app context); the user's id."""
    from planner.models import (
        Contact,
        ContactEvidence,
        EventPerson,
        EventSource,
        Goal,
        Source,
        User,
    )

    session = db.session()
    user = User(
        email=EMAIL,
        name="Bench User",
        home_location="Berlin, Germany",
        home_lat=52.52,
        home_lon=13.405,
        home_geocoded_at=now,
        timezone="Europe/Berlin",
        timezone_auto=False,
        radius_km=30,
        events_per_week=per_week,
        events_per_month=per_week * 4,
    )
    session.add(user)
    session.flush()
    for number, text in enumerate(("meet Python developers", "find a mentor in data engineering")):
        session.add(Goal(owner_id=user.id, text=text, priority=number + 1))
    session.add(Goal(owner_id=user.id, text="learn about machine learning in production"))
    contacts = [
        Contact(owner_id=user.id, name=f"Contact {n:03d} Person", company=f"Company {n % 40}")
        for n in range(200)
    ]
    session.add_all(contacts)
    session.flush()
    source = Source(owner_id=user.id, url="https://www.meetup.com/bench-group/events/ical/")
    source.name, source.kind, source.ok_at = "Bench group", "ical", now
    session.add(source)
    rows = [_event(user.id, n, events, now) for n in range(events)]
    session.add_all(rows)
    session.flush()
    for row in rows:
        uid = f"bench-{row.id}@meetup.com"
        link = EventSource(event_id=row.id, source_id=source.id, source_uid=uid, group_uid=uid)
        link.url, link.start, link.seen_at = row.url, row.start, now
        session.add(link)
    for row in rows[::3]:
        speaker = contacts[row.id % 200]
        session.add(EventPerson(event_id=row.id, name=speaker.name, role="speaker"))
        for contact in (contacts[row.id % 200], contacts[(row.id * 7) % 200]):
            session.merge(
                ContactEvidence(
                    event_id=row.id,
                    contact_id=contact.id,
                    owner_id=user.id,
                    role="speaker" if contact.id % 2 else "likely",
                    evidence=f'the description says: "Talk by {contact.name} ({contact.company})"',
                    strength=1.0,
                )
            )
    session.commit()
    return user.id


def _event(owner_id: int, n: int, total: int, now: datetime) -> Any:
    from planner.models import Event

    title, words = TOPICS[n % len(TOPICS)]
    venue, address, lat, lon = VENUES[n % len(VENUES)]
    day = (now + timedelta(days=1 + n * 110 / total)).replace(minute=0, second=0, microsecond=0)
    start = day.replace(hour=17 + n % 3)
    return Event(
        owner_id=owner_id,
        fingerprint=f"bench-{n}",
        title=f"{title}, part {n}",
        start=start,
        end=start + timedelta(hours=2, minutes=30),
        timezone="Europe/Berlin",
        url=f"https://www.meetup.com/bench-group/events/{300000 + n}/",
        description=(f"A talk and a discussion on {words}. " * 6).strip(),
        venue=venue,
        address=address,
        lat=lat,
        lon=lon,
        updated_at=now - timedelta(days=2),
        first_seen_at=now - timedelta(days=2),
        last_seen_at=now,
    )


def mark_the_rest_going(user_id: int, now: datetime) -> dict[str, int]:
    """Every event the matcher does not pick is marked going, as if planner had recommended
    it earlier: the feed holds all of them, each going one with its reasons worked out again."""
    from sqlalchemy import select

    from planner.models import Event, EventFeedback, Recommendation, User
    from planner.recommend import recommend
    from planner.web.feeditems import picks_for

    session = db.session()
    user = session.get(User, user_id)
    assert user is not None
    picked = {item.event.id for item in recommend(session, user, now, limit=picks_for(user))}
    for event_id in session.scalars(select(Event.id).where(Event.owner_id == user_id)):
        if event_id not in picked:
            session.add(EventFeedback(owner_id=user_id, event_id=event_id, state="going", at=now))
            earlier = now - timedelta(days=3)
            session.add(
                Recommendation(owner_id=user_id, event_id=event_id, score=0.5, first_at=earlier)
            )
    session.commit()
    return {"picked": len(picked)}


def make_token(user_id: int) -> str:
    from flask import current_app

    from planner.feedtokens import ensure_token, shown_token
    from planner.models import User

    session = db.session()
    user = session.get(User, user_id)
    secret = current_app.config["SECRET_KEY"]
    row = ensure_token(session, user, "all", secret, datetime.now(UTC))
    session.commit()
    token = shown_token(row, secret)
    assert token is not None
    return token


# --- fresh builds --------------------------------------------------------------------------------


def fresh_builds(app: Any, path: str, user_id: int, builds: int, profile: str | None) -> dict:
    """The feed requested in-process right after a real change, each request with its own
    database session as in a server; wall and CPU milliseconds:
      after a mark:         one event marked going, or the mark taken back (committed as the web
                            app does): the user's data version rises, so the feed cache and the
                            matcher's inputs are stale; the events are not (their records and
                            index are kept, as after a goal or a contact);
      after an event edit:  one event's description changed: its records are read again and
                            the matcher's index is built again;
      from nothing:         everything planner keeps per user cleared (the feed cache, the
                            matcher's inputs and index), as in a new process;
    then the two halves of a build after a mark (what the feed holds, the .ics bytes) apart."""
    from planner import recommend
    from planner.feeds import build_calendar, vevent
    from planner.models import Event, EventFeedback, User
    from planner.web.feeditems import feed_items
    from planner.web.feedserve import cache, listing_for

    client = app.test_client()
    with app.app_context():
        judged = select(EventFeedback.event_id)
        marked = db.session().scalar(  # a pick of the matcher: marked, it becomes a going event
            select(Event.id).where(Event.owner_id == user_id, Event.id.not_in(judged)).limit(1)
        )
    edits = itertools.count()

    def mark() -> None:
        session = db.session()
        found = session.scalar(select(EventFeedback).where(EventFeedback.event_id == marked))
        if found is None:
            session.add(EventFeedback(owner_id=user_id, event_id=marked, state="going"))
        else:
            session.delete(found)
        session.commit()

    def edit() -> None:
        session = db.session()
        event = session.get(Event, marked)
        event.description = f"{event.description.split(' (edit')[0]} (edit {next(edits)})"
        session.commit()

    def forget() -> None:
        cache.clear()
        vevent.cache_clear()
        recommend._inputs.clear()
        recommend._indexes.clear()

    def request(change: Any) -> tuple[float, float, bytes]:
        with app.app_context():
            change()
        began, cpu = time.perf_counter(), time.process_time()
        answer = client.get(path)
        took = (time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000
        assert answer.status_code == 200, answer.status_code
        return *took, answer.data

    request(mark)  # imports, compiled statements, the matcher's index
    after_mark = [request(mark) for _ in range(builds)]
    after_edit = [request(edit) for _ in range(builds)]
    from_nothing = [request(forget) for _ in range(builds)]
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    parts: dict[str, list[float]] = {"items": [], "ics": []}
    for _ in range(builds):
        with app.app_context():
            mark()
            session = db.session()
            user = session.get(User, user_id)
            began = time.perf_counter()
            items = feed_items(session, user, "all", hour)
            middle = time.perf_counter()
            build_calendar(listing_for(user, "all"), items)
        parts["items"].append((middle - began) * 1000)
        parts["ics"].append((time.perf_counter() - middle) * 1000)
    if profile:
        with app.app_context():
            mark()
        cProfile.runctx("client.get(path)", globals(), {"client": client, "path": path}, profile)
    body = after_mark[-1][2]
    return {
        "fresh_build_ms": _summary([took for took, _, _ in after_mark]),
        "fresh_build_cpu_ms": _summary([cpu for _, cpu, _ in after_mark]),
        "fresh_build_after_event_edit_ms": _summary([took for took, _, _ in after_edit]),
        "fresh_build_from_nothing_ms": _summary([took for took, _, _ in from_nothing]),
        "parts_ms": {name: _summary(values) for name, values in parts.items()},
        "bytes": len(body),
        "gzipped_bytes": len(client.get(path, headers=GZIP).data),
        "events": body.count(b"BEGIN:VEVENT"),
    }


def machine_pace() -> float:
    """Milliseconds of a fixed pure-Python loop, the same in every run: the cores of this kind
    of machine are shared and its pace drifts for minutes at a time (the same build has taken
    110 ms and 190 ms); a slow pace beside the builds says they ran in a slow spell."""
    began, total = time.perf_counter(), 0
    for n in range(2_000_000):
        total += n * n % 7
    return round((time.perf_counter() - began) * 1000, 1)


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
    }


# --- serving -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gunicorn(target: str, env: dict[str, str], workers: int) -> tuple[subprocess.Popen, str]:
    """`target` under gunicorn on a free local port, once it answers; (process, base URL)."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync"),
        *("--bind", f"127.0.0.1:{port}", "--pythonpath", str(BENCH), "--log-level", "warning"),
        target,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/", timeout=1).close()
            return process, base
        except urllib.error.HTTPError:
            return process, base  # it answers (a 404 or a redirect to sign in is an answer)
        except OSError:
            time.sleep(0.05)
    stop(process)
    raise RuntimeError(f"gunicorn {target} did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def wrk(url: str, duration: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    command = ["wrk", "-t2", "-c8", f"-d{duration}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": float(rate.group(1)) if rate else 0.0,
        "requests": int(done.group(1)) if done else 0,
        "non_2xx_3xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else None,
    }


def workers_cpu(master: subprocess.Popen) -> float:
    """CPU seconds (user + system) the gunicorn workers of `master` have used."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def load(server: subprocess.Popen, url: str, duration: int, headers: dict | None = None) -> dict:
    """wrk on `url`, and the servers' CPU time per request meanwhile (robust where requests per
    second suffer from whatever else the machine runs)."""
    before = workers_cpu(server)
    found = wrk(url, duration, headers)
    found["cpu_us_per_request"] = round(
        (workers_cpu(server) - before) / max(found["requests"], 1) * 1e6, 1
    )
    return found


def check(url: str) -> dict[str, Any]:
    """What the served feed answers: 200 with an ETag, then 304 to that ETag."""
    with urllib.request.urlopen(url) as answer:
        etag = answer.headers["ETag"]
        first = {"status": answer.status, "type": answer.headers["Content-Type"], "etag": etag}
    ask = urllib.request.Request(url, headers={"If-None-Match": etag})
    try:
        urllib.request.urlopen(ask).close()
        again = 200
    except urllib.error.HTTPError as exc:
        again = exc.code
    return first | {"status_if_none_match": again}


def floor_app() -> Any:
    """planner's app plus one public route that answers "ok" (`gunicorn 'feed:floor_app()'`):
    what any request to the app costs before a view does anything (request hooks, the session,
    security headers). The feed is served by this same app."""
    from planner.web.auth import public

    app = create_app()
    app.add_url_rule("/bench/floor", "bench_floor", public(lambda: "ok"))
    return app


def serve_and_load(args: argparse.Namespace, env: dict[str, str], path: str) -> dict[str, Any]:
    hello, hello_base = gunicorn("hello:app", env, args.workers)
    planner, planner_base = gunicorn("feed:floor_app()", env, args.workers)
    url = planner_base + path
    loads = {
        "hello": (hello, hello_base + "/", None),
        "app_floor": (planner, planner_base + "/bench/floor", None),
        "feed_304": (planner, url, None),
        "feed_cached": (planner, url, GZIP),
    }
    try:
        seen = check(url)
        loads["feed_304"] = (planner, url, {"If-None-Match": seen["etag"]})
        for _, target, headers in loads.values():  # warm: imports, connections, the cache
            wrk(target, 1, headers)
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in loads}
        for round_ in range(args.rounds):
            progress(f"round {round_ + 1} of {args.rounds}")
            for name, (server, target, headers) in loads.items():
                runs[name].append(load(server, target, args.duration, headers))
    finally:
        stop(hello)
        stop(planner)
    rates = {name: statistics.median(r["rps"] for r in found) for name, found in runs.items()}
    cpu = {
        name: statistics.median(r["cpu_us_per_request"] for r in found)
        for name, found in runs.items()
    }
    return {"check": seen, "rates": rates, "cpu": cpu, "runs": runs}


# --- the run -------------------------------------------------------------------------------------


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="planner-feed-bench-"))
    url = f"sqlite:///{workdir / 'planner.sqlite3'}"
    config = {
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "MODE": "multi",
        "BASE_URL": "https://planner.example.org",
        "INSTANCE_PATH": str(workdir / "instance"),
    }
    upgrade(url)
    app = create_app(config)
    now = datetime.now(UTC)
    with app.app_context():
        progress(f"seeding {args.events} events into {url}")
        user_id = seed(args.events, now, args.per_week)
        marks = mark_the_rest_going(user_id, now)
        path = f"/feeds/{make_token(user_id)}.ics"
    progress("fresh builds")
    pace = [machine_pace()]
    built = fresh_builds(app, path, user_id, args.builds, args.profile)
    pace.append(machine_pace())
    built["machine_pace_ms"] = pace
    with app.app_context():
        db.engine().dispose()
    env = os.environ | {f"PLANNER_{name}": value for name, value in config.items()}
    progress(f"serving with gunicorn ({args.workers} sync workers) and loading with wrk")
    served = serve_and_load(args, env, path)
    return report(args, built, served, marks, workdir)


def report(
    args: argparse.Namespace, built: dict, served: dict, marks: dict, workdir: Path
) -> dict[str, Any]:
    rates, cpu = served["rates"], served["cpu"]
    hello = rates["hello"] or 1.0
    result = {
        "bench": "feed",
        "code": code_version(),
        "database": f"SQLite file in {workdir}",
        "events_in_feed": built["events"],
        "picked_by_matcher": marks["picked"],
        "budget_per_week": args.per_week,
        "bytes": built["bytes"],
        "gzipped_bytes": built["gzipped_bytes"],
        "fresh_build_ms": built["fresh_build_ms"],
        "fresh_build_cpu_ms": built["fresh_build_cpu_ms"],
        "fresh_build_after_event_edit_ms": built["fresh_build_after_event_edit_ms"],
        "fresh_build_from_nothing_ms": built["fresh_build_from_nothing_ms"],
        "fresh_build_parts_ms": built["parts_ms"],
        "machine_pace_ms_before_and_after_builds": built["machine_pace_ms"],
        "hello_rps": round(hello, 1),
        "app_floor_rps": round(rates["app_floor"], 1),
        "feed_304_rps": round(rates["feed_304"], 1),
        "feed_cached_rps": round(rates["feed_cached"], 1),
        "feed_304_vs_hello": round(rates["feed_304"] / hello, 3),
        "feed_cached_vs_hello": round(rates["feed_cached"] / hello, 3),
        "app_floor_vs_hello": round(rates["app_floor"] / hello, 3),
        "cpu_us_per_request": cpu,
        "cpu_ratio_vs_hello": {
            name: round(cpu["hello"] / value, 3) for name, value in cpu.items() if value
        },
        "served_check": served["check"],
        "serving": f"gunicorn, {args.workers} sync workers, 127.0.0.1; wrk -t2 -c8 "
        f"-d{args.duration}s, {args.rounds} rounds in turn, median; the cached feed asked "
        "with Accept-Encoding: gzip, as calendar clients ask",
        "runs": served["runs"],
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    return result | {"targets": targets(result)}


def targets(result: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "feed_304_vs_hello": {"min": TARGET["feed_304_vs_hello"]},
        "feed_cached_vs_hello": {"min": TARGET["feed_cached_vs_hello"]},
        "fresh_build_ms": {"max": TARGET["fresh_build_ms"]},
    }
    found["feed_304_vs_hello"]["value"] = result["feed_304_vs_hello"]
    found["feed_cached_vs_hello"]["value"] = result["feed_cached_vs_hello"]
    found["fresh_build_ms"]["value"] = result["fresh_build_ms"]["median"]
    for figure in found.values():
        value = figure["value"]
        figure["met"] = value < figure["max"] if "max" in figure else value >= figure["min"]
    return found | {"all_met": all(figure["met"] for figure in found.values())}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, default=500, help="upcoming events in the feed")
    parser.add_argument(
        "--per-week",
        type=int,
        default=40,
        help="the user's budget of events a week: 40 lets the matcher pick 200 (the most a feed "
        "carries), the default budget of 2 leaves no room beside the going events",
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="wrk rounds of the three loads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--builds", type=int, default=7, help="timed fresh builds")
    parser.add_argument("--profile", help="write cProfile stats of one fresh build here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    print(json.dumps(run_bench(parse_args(argv)), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
