"""Operations: `/healthz` says whether the database and Redis answer; `planner status` shows
queues, failing sources, the last refresh and the last digest run."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis

from tests.conftest import REDIS_URL, Cli, Run, need, redis_error
from tests.localserver import LocalServer


def closed_port() -> int:
    """A local port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_without_redis_is_ok(app: Flask) -> None:
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 200
    assert answer.json == {"status": "ok", "database": "ok", "redis": "not configured"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_healthz_fails_when_redis_does_not_answer(app: Flask) -> None:
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{closed_port()}/0"
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.json == {"status": "failing", "database": "ok", "redis": "failing"}
    assert "127.0.0.1" not in answer.get_data(as_text=True)  # no addresses for anyone to read


@pytest.mark.redis
def test_healthz_with_redis(multi: Flask) -> None:
    problem = redis_error()
    if problem:
        need("Redis", problem)
    multi.config["REDIS_URL"] = REDIS_URL
    answer = multi.test_client().get("/healthz")  # no sign-in needed, even with accounts
    assert answer.status_code == 200 and answer.json["redis"] == "ok"


@pytest.fixture
def planner(cli: Cli) -> Run:
    """`planner ...` on a fresh SQLite database, fetching from the test servers on 127.0.0.1."""
    return cli(PLANNER_ALLOW_PRIVATE_URLS="1", PLANNER_HOST_DELAY="0")


def test_status_names_failing_sources(planner, local_server: LocalServer) -> None:
    planner("sources", "add", local_server.add("/gone.ics", b"", status=404))
    planner("sources", "add", local_server.add("/empty.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR"))
    assert planner("refresh").exit_code == 1  # one source failed: the refresh says so
    shown = planner("status")
    assert shown.exit_code == 0, shown.output
    assert "database: ok" in shown.stdout and "redis: not configured" in shown.stdout
    assert "queues: none (no Redis" in shown.stdout
    assert "sources: 2 (0 due, 1 failing)" in shown.stdout
    assert "failing source 1 (user 1, 1x)" in shown.stdout and "HTTP 404" in shown.stdout
    found = json.loads(planner("status", "--json").stdout)
    assert found["failing"][0]["url"].endswith("/gone.ics")
    assert found["last_refresh"] is not None and found["digests"]["last_run"] is None


@pytest.mark.redis
def test_status_counts_the_queues_and_fails_without_redis(planner) -> None:
    problem = redis_error()
    if problem:
        need("Redis", problem)
    Redis.from_url(REDIS_URL).flushdb()
    shown = planner("status", "--json", PLANNER_REDIS_URL=REDIS_URL)
    assert shown.exit_code == 0, shown.output
    queues = json.loads(shown.stdout)["queues"]
    assert list(queues) == ["fetch", "geocode", "match", "mail"]
    assert queues["fetch"] == {"queued": 0, "started": 0, "scheduled": 0, "failed": 0}
    down = planner("status", PLANNER_REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    assert down.exit_code == 1 and "redis: ConnectionError" in down.stdout


@pytest.mark.redis
def test_rq_info_sees_our_queues(redis_app_for_status: None) -> None:
    from planner.jobs import enqueue_refresh

    enqueue_refresh(1)
    rq = Path(sys.executable).parent / "rq"
    shown = subprocess.run(
        [str(rq), "info", "--url", REDIS_URL, "fetch", "geocode", "match", "mail"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    counts = dict(re.findall(r"^(\w+)\s+\|\S*\s*(\d+),", shown, re.M))
    assert counts == {"fetch": "1", "geocode": "0", "match": "0", "mail": "0"}


@pytest.fixture
def redis_app_for_status(app: Flask) -> None:
    problem = redis_error()
    if problem:
        need("Redis", problem)
    Redis.from_url(REDIS_URL).flushdb()
    app.config["REDIS_URL"] = REDIS_URL


def test_status_says_the_database_is_down_in_one_line(planner) -> None:
    down = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
    shown = planner("status", PLANNER_DATABASE_URL=down)
    assert shown.exit_code == 1
    assert shown.stdout.startswith("database: OperationalError") and "Traceback" not in shown.output
    assert "redis: not configured" in shown.stdout


def test_refresh_enqueue_without_redis_is_one_line(planner, local_server: LocalServer) -> None:
    planner("sources", "add", local_server.add("/a.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR"))
    down = f"redis://127.0.0.1:{closed_port()}/0"
    shown = planner("refresh", "--enqueue", PLANNER_REDIS_URL=down)
    assert shown.exit_code == 1 and "Traceback" not in shown.output
    assert "Redis is not answering" in shown.output and "0 of 1 sources queued" in shown.output
