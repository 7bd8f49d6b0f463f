"""The `planner` commands as a user types them, against a fresh SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli, Run
from tests.localserver import LocalServer

FEEDS = Path(__file__).parent / "data" / "ics"
MEETUP = FEEDS / "meetup_detroitruby_group_feed.ics"
NOW = "2013-01-01T09:00:00+00:00"


@pytest.fixture
def planner(cli: Cli) -> Run:
    """`planner ...` on a fresh SQLite database, fetching from the test servers on 127.0.0.1."""
    return cli(PLANNER_ALLOW_PRIVATE_URLS="1", PLANNER_HOST_DELAY="0")


def test_import_then_list_events(planner) -> None:
    result = planner("import", str(MEETUP), "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "6 events: 6 new" in result.stdout
    listed = planner("events", "list", "--now", NOW, "--json")
    rows = json.loads(listed.stdout)
    assert [r["day"] for r in rows][:2] == ["Thu 10 Jan 2013", "Thu 14 Feb 2013"]
    assert rows[0]["time"] == "18:30–21:30 EST"
    assert rows[0]["venue"] == "Compuware Building"
    assert rows[0]["sources"] == ["meetup_detroitruby_group_feed.ics"]
    table = planner("events", "list", "--now", "2013-05-01T00:00:00+00:00")
    assert "Thu 09 May 2013" in table.stdout and "Thu 10 Jan 2013" not in table.stdout


def test_import_for_another_user_keeps_them_apart(planner) -> None:
    planner("import", str(MEETUP), "--now", NOW, "--user", "ada@example.org")
    mine = json.loads(planner("events", "list", "--now", NOW, "--json").stdout)
    theirs = json.loads(
        planner("events", "list", "--now", NOW, "--json", "--user", "ada@example.org").stdout
    )
    assert mine == [] and len(theirs) == 6


def test_sources_add_refresh_and_list(planner, local_server: LocalServer) -> None:
    good = local_server.add("/events/ical", MEETUP.read_bytes())
    assert planner("sources", "add", good).exit_code == 0
    assert planner("sources", "add", local_server.url("/gone.ics")).exit_code == 0
    refreshed = planner("refresh", "--now", NOW)
    assert refreshed.exit_code == 1, refreshed.output  # one failed: cron should hear of it
    assert "source 1: ok: 6 events: 6 new" in refreshed.stdout
    assert "source 2: FAILED: fetch failed:" in refreshed.stdout and "HTTP 404" in refreshed.stdout
    assert "refreshing" in refreshed.stderr  # the progress bar
    assert "2 sources refreshed, 1 failed" in refreshed.stdout
    listed = planner("sources", "list").stdout
    assert "ok" in listed and "FAILING" in listed and "error: fetch failed" in listed
    again = planner("refresh", "--now", NOW)
    assert "0 sources refreshed" in again.stdout  # nothing due yet


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x.ics", "javascript:x", "http://"]
)
def test_sources_add_refuses_bad_urls(planner, url: str) -> None:
    result = planner("sources", "add", url)
    assert result.exit_code == 2
    assert result.stderr.startswith("planner: ") and len(result.stderr.splitlines()) == 1


def test_bad_now_is_a_usage_error(planner) -> None:
    result = planner("events", "list", "--now", "soon")
    assert result.exit_code == 2 and "--now" in result.stderr


def test_demo_load_fills_the_page(planner) -> None:
    result = planner("demo", "load", "--now", "2026-03-02T09:00:00+00:00")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line.startswith("demo source ")]) == 3
    assert "demo home: Berlin, Germany" in lines and "demo goals: 3" in lines
    assert "demo contacts: 7" in lines
    again = planner("demo", "load", "--now", "2026-03-02T09:00:00+00:00").stdout.splitlines()
    assert len(again) == 3  # the person is given once: nothing the user set is overwritten
    picks = json.loads(planner("recommend", "--now", "2026-03-02T09:00:00+00:00", "--json").stdout)
    assert picks and all(set(p) >= {"event", "score", "reasons", "contacts"} for p in picks)
    kinds = {reason["kind"] for p in picks for reason in p["reasons"]}
    assert {"goal", "contact", "place", "time"} <= kinds
    speakers = {c["name"] for p in picks for c in p["contacts"] if c["role"] == "speaker"}
    assert "Hanna Vogel" in speakers
    rows = json.loads(
        planner("events", "list", "--now", "2026-03-02T09:00:00+00:00", "--json").stdout
    )
    statuses = {r["status"] for r in rows}
    assert len(rows) >= 10 and statuses == {"scheduled", "cancelled"}


def test_serve_refuses_the_development_secret_outside_debug(cli: Cli) -> None:
    run = cli(upgrade=False, PLANNER_DEBUG="0")
    result = run("serve", "--port", "0")
    assert result.exit_code == 2 and "PLANNER_SECRET_KEY" in result.stderr
    assert run("db", "upgrade").exit_code == 0  # signs nothing
    assert run("sources", "list").exit_code == 0


def test_sources_remove(planner) -> None:
    planner("import", str(MEETUP), "--now", NOW)
    assert planner("sources", "remove", "99").exit_code == 2
    removed = planner("sources", "remove", "1")
    assert removed.exit_code == 0 and "it listed 6 events" in removed.stdout
    assert json.loads(planner("events", "list", "--now", NOW, "--json").stdout) == []


@pytest.mark.parametrize(
    "args",
    [
        ["extract", "x.ics", "--from", "2020"],
        ["extract", "x.ics", "--from", "0001-01-01", "--to", "9999-12-31"],
        ["events", "list", "--now", "9999-12-31T00:00:00"],
        ["import", "/nonexistent.ics"],
        ["refresh", "--source", "999"],
        ["sources", "list", "--user", "typo@example.org"],
    ],
)
def test_usage_errors_are_one_line_and_exit_2(planner, args: list[str]) -> None:
    result = planner(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("planner: ") and len(result.stderr.splitlines()) == 1


def test_import_of_a_file_that_is_no_source_leaves_nothing(planner, tmp_path: Path) -> None:
    junk = tmp_path / "notes.bin"
    junk.write_bytes(bytes(range(256)))
    result = planner("import", str(junk))
    assert result.exit_code == 2 and "not a calendar or an event page" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "notes.bin" not in planner("sources", "list").stdout
