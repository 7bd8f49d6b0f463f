"""Scale: sources refreshed per minute by 1, 2 and 4 worker processes, and the recommendations
page's latency while 2 workers ingest; prints one JSON object (never asserts times).

    .venv/bin/python bench/scale.py [--sources 300] [--users 30] [--workers 1,2,4]
                                    [--web-workers 2] [--connections 2]

Against the machine's PostgreSQL (a schema of its own in the `test` database, dropped at the
end) and Redis (database 1, flushed). A local HTTP server plays the sites: of the sources, 60%
are iCal feeds of 40-80 Berlin meetups (bench/feedgen.py), 30% event pages of ~150 KB with a
JSON-LD event (bench/pagegen.py), 5% slow (the server waits 3 s before answering) and 5% failing
(HTTP 500 or 404). `--users` accounts own them in equal shares, each with 3 goals and 20 contacts.

For each worker count: a fresh schema, every source queued (`enqueue_refresh`), then that many
`worker.py --burst` processes started at once; the time until the last one exits gives sources
per minute (worker start-up included); then every source is queued again and refreshed by as
many workers, as the hourly schedule does, to give what an unchanged source costs (the steady
state). Each round also reports the rows stored, the bytes the schema takes in PostgreSQL, and
Redis's used memory when flushed, with every source queued, and after the round (finished jobs
keep their results for an hour): the README's sizing is derived from these. Then one more
round of 2 workers ingesting into a fresh schema while the real app runs under gunicorn
(multi-user mode) and `wrk --latency` requests one user's recommendations page (signed in) with
`--connections` connections (a bounded load) from the start of the ingest to its end;
the same page is measured before the ingest, idle, for comparison (the worker rounds above run
without it, so that their ratio is the workers' own). All sources live on one host here, so
the per-host delay is set to 0 (a real deployment spreads over many hosts). Workers run at
their default niceness (PLANNER_WORKER_NICE, 10), the web app at the normal one. The machine has 2
cores: 4 workers are reported as measured.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedgen
import pagegen
from sqlalchemy import create_engine, text

from planner import create_app, db
from planner.db import upgrade

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/1"
PASSWORD = "bench password long enough"
TARGET = {"two_vs_one_workers": 1.6, "page_p99_ms_while_ingesting": 250.0}
STARTED = time.perf_counter()
REDIS_SEEN: dict[str, int] = {}  # Redis's used_memory: flushed, then with every source queued
GOALS = ("meet Python developers", "learn about data engineering", "find a Rust mentor")


def progress(message: str) -> None:
    print(f"[scale {time.perf_counter() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def wait_until_up(url: str, seconds: float = 60) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"scale: {url} did not come up")
        time.sleep(0.2)


# --- the sites ---------------------------------------------------------------------------------


class Sites(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, tuple[int, bytes, str, float]]


class Handler(BaseHTTPRequestHandler):
    server: Sites

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        status, body, kind, delay = self.server.routes.get(self.path, (404, b"", "text/plain", 0))
        if delay:
            time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def make_sites(count: int, now: datetime) -> tuple[Sites, list[str]]:
    """The local server and the URL of each source (feeds, pages, slow and failing ones)."""
    server = Sites(("127.0.0.1", 0), Handler)
    server.routes = {}
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages = pagegen.generate(max(1, count * 3 // 10), 7, "jsonld")
    urls = []
    for n in range(count):
        share = n % 20  # 12 feeds, 6 pages, 1 slow feed, 1 failing
        path = f"/s{n}.ics" if share < 12 or share == 18 else f"/s{n}.html"
        if share < 12 or share == 18:
            feed = feedgen.generate(
                40 + n % 41, n, now, now - timedelta(days=1), now + timedelta(days=90)
            )
            route = (200, feed.render(), "text/calendar", 3.0 if share == 18 else 0.0)
        elif share < 18:
            route = (200, pages[n % len(pages)].data, "text/html; charset=utf-8", 0.0)
        else:
            route = (500 if n % 40 == 19 else 404, b"down", "text/plain", 0.0)
        server.routes[path] = route
        urls.append(base + path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, urls


# --- the database ------------------------------------------------------------------------------


def fresh_schema(name: str) -> str:
    engine = create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    url = f"{POSTGRES}?options=-csearch_path%3D{name}"
    upgrade(url)
    return url


def drop_schema(name: str) -> None:
    engine = create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    engine.dispose()


def environment(url: str, workdir: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PLANNER_DATABASE_URL=url,
        PLANNER_REDIS_URL=REDIS,
        PLANNER_SECRET_KEY="scale-" + "0" * 40,
        PLANNER_MODE="multi",
        PLANNER_INSTANCE_PATH=str(workdir),
        PLANNER_ALLOW_PRIVATE_URLS="1",
        PLANNER_HOST_DELAY="0",
        PLANNER_FETCH_TOTAL_TIMEOUT="20",
    )


def seed(env: dict[str, str], urls: list[str], users: int, now: datetime) -> list[int]:
    """The accounts, their goals, contacts and sources; every source queued for a refresh.
    Returns the source ids."""
    from redis import Redis

    from planner.accounts import create_user
    from planner.jobs import enqueue_refresh
    from planner.models import Contact, Goal
    from planner.sources import add_source

    Redis.from_url(REDIS).flushdb()
    REDIS_SEEN["empty"] = redis_bytes()
    app = create_app(
        {
            "DATABASE_URL": env["PLANNER_DATABASE_URL"],
            "REDIS_URL": REDIS,
            "SECRET_KEY": env["PLANNER_SECRET_KEY"],
            "MODE": "multi",
            "INSTANCE_PATH": env["PLANNER_INSTANCE_PATH"],
            "ALLOW_PRIVATE_URLS": True,
        }
    )
    ids = []
    with app.app_context():
        session = db.session()
        people = [
            create_user(session, f"user{u}@example.org", PASSWORD, now, name=f"User {u}")
            for u in range(users)
        ]
        for u, user in enumerate(people):
            user.home_location, user.home_lat, user.home_lon = "Berlin", 52.52, 13.405
            user.timezone = "Europe/Berlin"
            session.add_all(
                Goal(owner_id=user.id, text=g, priority=1 + i % 3) for i, g in enumerate(GOALS)
            )
            session.add_all(
                Contact(owner_id=user.id, name=f"Contact {u}-{c}", city="Berlin", lat=52.52,
                        lon=13.405, tags=["python" if c % 2 else "data"])
                for c in range(20)
            )  # fmt: skip
        session.commit()
        for n, url in enumerate(urls):
            source = add_source(session, people[n % users], url)
            session.commit()
            ids.append(source.id)
        for source_id in ids:
            enqueue_refresh(source_id, now)
        db.dispose()
    REDIS_SEEN["queued"] = redis_bytes()
    return ids


# --- one round ---------------------------------------------------------------------------------


def ingest_round(env: dict[str, str], workers: int) -> float:
    """Seconds until `workers` burst workers have emptied the queues."""
    began = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "worker.py", "--burst"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.wait()
    return time.perf_counter() - began


def outcome(env: dict[str, str]) -> dict[str, int]:
    """What the round left: sources read, failing, events stored (duplicates would show), the
    contact evidence worked out, and the bytes the schema takes in PostgreSQL (tables with
    their indexes and TOAST)."""
    engine = create_engine(env["PLANNER_DATABASE_URL"])
    with engine.connect() as connection:
        found = connection.execute(
            text(
                "select count(*) filter (where fetched_at is not null), "
                "count(*) filter (where consecutive_failures > 0), "
                "(select count(*) from events), (select count(*) from event_sources), "
                "(select count(*) from event_people), (select count(*) from contact_evidence), "
                "(select sum(pg_total_relation_size(c.oid)) from pg_class c join pg_namespace n "
                " on n.oid = c.relnamespace where n.nspname = current_schema() "
                " and c.relkind = 'r') from sources"
            )
        ).one()
    engine.dispose()
    names = ("sources_read", "sources_failing", "events", "event_links", "event_people",
             "contact_evidence", "database_bytes")  # fmt: skip
    return dict(zip(names, (int(n or 0) for n in found), strict=True))


def requeue(env: dict[str, str], ids: list[int], now: datetime) -> None:
    """Every source queued again, as the hourly schedule does: what an unchanged source costs."""
    app = create_app(
        {"DATABASE_URL": env["PLANNER_DATABASE_URL"], "REDIS_URL": REDIS, "MODE": "multi",
         "SECRET_KEY": env["PLANNER_SECRET_KEY"], "INSTANCE_PATH": env["PLANNER_INSTANCE_PATH"],
         "ALLOW_PRIVATE_URLS": True}
    )  # fmt: skip
    from planner.jobs import enqueue_refresh

    with app.app_context():
        for source_id in ids:
            enqueue_refresh(source_id, now)
        db.dispose()


def redis_bytes() -> int:
    from redis import Redis

    return int(Redis.from_url(REDIS).info("memory")["used_memory"])


# --- the web page under load -------------------------------------------------------------------


def start_web(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b",
         f"127.0.0.1:{port}", "--log-level", "warning", "planner:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base + "/healthz")
    return process, base


def session_cookie(base: str, email: str) -> str:
    """Sign in through the real form; the Cookie header of that session. (The session cookie
    is Secure outside development, so it is carried by hand over this plain-HTTP loopback.)"""
    import requests

    form = requests.get(base + "/sign-in", timeout=30)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text)
    assert token, "no CSRF token on the sign-in page"
    answer = requests.post(
        base + "/sign-in",
        data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
        headers={"Cookie": cookie_of(form)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code in (302, 303), f"sign-in failed: {answer.status_code}"
    cookie = cookie_of(answer)
    page = requests.get(base + "/", headers={"Cookie": cookie}, allow_redirects=False, timeout=60)
    assert page.status_code == 200, f"the recommendations page answered {page.status_code}"
    return cookie


def cookie_of(response: Any) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in response.cookies)


def wrk(
    url: str, cookie: str, seconds: float, connections: int, until: threading.Thread | None = None
) -> dict[str, float]:
    """Requests/s and latency percentiles (ms) of `wrk --latency`, for `seconds`, or (`until`)
    for as long as that thread runs: wrk, told to stop by SIGINT, reports the whole run."""
    running = subprocess.Popen(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
         "-H", f"Cookie: {cookie}", url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    if until is not None:
        until.join()
        running.send_signal(signal.SIGINT)
    shown, problem = running.communicate(timeout=seconds + 60)
    if running.returncode != 0 or "Requests/sec" not in shown:
        raise SystemExit(f"scale: wrk failed: {problem or shown}")
    found: dict[str, float] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", shown)[1])}  # type: ignore[index]
    for share in ("50", "90", "99"):
        value, unit = re.search(rf"\s{share}%\s+([\d.]+)(us|ms|s)\b", shown).groups()  # type: ignore[union-attr]
        found[f"p{share}_ms"] = round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", shown)
    found["non_2xx"] = int(errors[1]) if errors else 0
    return found


# --- the run -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--workers", default="1,2,4", help='"": only the page round')
    parser.add_argument("--web-workers", type=int, default=2, help="0: no page round")
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args(argv)
    now = datetime.now(UTC).replace(microsecond=0)
    schema = f"scale_{secrets.token_hex(4)}"
    workdir = Path(f"/tmp/planner-scale-{schema}")
    workdir.mkdir(parents=True, exist_ok=True)
    progress(f"generating {args.sources} sites")
    server, urls = make_sites(args.sources, now)
    rounds: dict[str, Any] = {}
    web: dict[str, Any] = {}
    try:
        for count in [int(n) for n in args.workers.split(",") if n]:
            env = environment(fresh_schema(schema), workdir)
            ids = seed(env, urls, args.users, now)
            progress(f"{count} worker(s): ingesting {len(urls)} sources")
            seconds = ingest_round(env, count)
            found = outcome(env)
            done = redis_bytes()
            progress(f"{count} worker(s): refreshing the {len(urls)} sources again, unchanged")
            requeue(env, ids, now)
            again = ingest_round(env, count)
            rounds[str(count)] = {
                "seconds": round(seconds, 2),
                "sources_per_minute": round(len(urls) / seconds * 60, 1),
                "unchanged_seconds": round(again, 2),
                "unchanged_sources_per_minute": round(len(urls) / again * 60, 1),
                **found,
                "redis_bytes": {
                    "empty": REDIS_SEEN["empty"],
                    "sources_queued": REDIS_SEEN["queued"],
                    "jobs_done_results_kept": done,
                },
            }
            progress(f"{count} worker(s): {rounds[str(count)]}")
        if args.web_workers:
            env = environment(fresh_schema(schema), workdir)
            seed(env, urls, args.users, now)
            progress(f"2 workers ingesting {len(urls)} sources, the page loaded meanwhile")
            web, seconds, found = measure_with_web(env, args)
            web["ingest_meanwhile"] = {
                "seconds": round(seconds, 2),
                "sources_per_minute": round(len(urls) / seconds * 60, 1),
                **found,
            }
            progress(f"the page: {web}")
    finally:
        drop_schema(schema)
        server.shutdown()
    result = summary(args, rounds, web)
    print(json.dumps(result, indent=2))
    return 0


def measure_with_web(
    env: dict[str, str], args: argparse.Namespace
) -> tuple[dict[str, Any], float, dict[str, int]]:
    """A 2-worker ingest with the page loaded by wrk from start to end (one run, stopped when
    the workers are done), after an idle measurement."""
    process, base = start_web(env, args.web_workers)
    try:
        cookie = session_cookie(base, "user0@example.org")
        idle = wrk(base + "/", cookie, 5, args.connections)
        done: dict[str, float] = {}
        ingest = threading.Thread(target=lambda: done.setdefault("s", ingest_round(env, 2)))
        ingest.start()
        loaded = wrk(base + "/", cookie, 3600, args.connections, until=ingest)
    finally:
        process.terminate()
        process.wait(30)
    return {"idle": idle, "while_2_workers_ingest": loaded}, done["s"], outcome(env)


def summary(
    args: argparse.Namespace, rounds: dict[str, Any], web: dict[str, Any]
) -> dict[str, Any]:
    per_minute = {n: r["sources_per_minute"] for n, r in rounds.items()}
    result: dict[str, Any] = {
        "bench": "scale",
        "sources": args.sources,
        "users": args.users,
        "rounds": rounds,
        "recommendations_page": web,
        "target": TARGET,
        "load_average": load_average(),
    }
    if "1" in per_minute and "2" in per_minute:
        result["two_vs_one_workers"] = round(per_minute["2"] / per_minute["1"], 2)
    if "1" in per_minute and "4" in per_minute:
        result["four_vs_one_workers"] = round(per_minute["4"] / per_minute["1"], 2)
    if web:
        result["page_p99_ms_while_ingesting"] = web["while_2_workers_ingest"]["p99_ms"]
    return result


if __name__ == "__main__":
    sys.exit(main())
