"""`planner users` and `planner goals` as a user types them: accounts made from the command line
can sign in to the web app, the home place is looked up at once, bad input is one line and exit
status 2 and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from planner.commands import users
from tests.accounts import PASSWORD, sign_in
from tests.conftest import Cli, Run, close, make_app


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


@pytest.fixture
def planner(cli: Cli, database: str) -> Run:
    return cli(database)


@contextmanager
def web(tmp_path: Path, database: str) -> Iterator[FlaskClient]:
    """The multi-user web app on the same database."""
    app = make_app(database, tmp_path, MODE="multi")
    with app.app_context():
        yield app.test_client()
        close(app)


def shown(planner: Run, email: str) -> dict[str, Any]:
    result = planner("users", "show", email, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_create_with_a_password_then_sign_in(planner: Run, tmp_path: Path, database: str) -> None:
    made = planner(
        "users", "create", "Ada@Example.org", "--home", "Portland, OR", "--password-stdin",
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.stdout.splitlines() == [
        "created ada@example.org",
        "home: Portland, OR → 45.52, -122.68 · America/Los_Angeles",
    ]
    with web(tmp_path, database) as client:
        assert (
            sign_in(client, "ada@example.org", PASSWORD + " ").status_code == 401
        )  # the line ending only
        assert sign_in(client, "ada@example.org").status_code == 302
        assert "ada@example.org" in client.get("/goals/").get_data(as_text=True)


def test_without_a_password_no_sign_in_until_one_is_set(
    planner: Run, tmp_path: Path, database: str
) -> None:
    made = planner("users", "create", "bo@example.org", "--home", "Berlin")
    assert made.exit_code == 0 and "no password: cannot sign in" in made.stdout
    assert shown(planner, "bo@example.org")["can_sign_in"] is False
    with web(tmp_path, database) as client:
        assert sign_in(client, "bo@example.org", "").status_code != 302
    short = planner("users", "set-password", "bo@example.org", input="short\n")
    assert short.exit_code == 2 and "at least 10" in short.stderr
    done = planner("users", "set-password", "bo@example.org", input=PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    with web(tmp_path, database) as client:
        assert sign_in(client, "bo@example.org").status_code == 302
    missing = planner("users", "set-password", "nobody@example.org", input=PASSWORD + "\n")
    assert missing.exit_code == 2 and missing.stderr == "planner: no user 'nobody@example.org'\n"


def test_set_password_on_a_terminal_asks_twice(
    planner: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database: str
) -> None:
    planner("users", "create", "cy@example.org", "--home", "Lisbon")
    monkeypatch.setattr(users, "_terminal", lambda: True)  # the runner's input is typed
    differ = planner("users", "set-password", "cy@example.org", input=f"{PASSWORD}\nother one\n")
    assert differ.exit_code != 0 and "do not match" in differ.output
    assert PASSWORD not in differ.output  # hidden
    done = planner("users", "set-password", "cy@example.org", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert done.exit_code == 0, done.output
    assert "password set for cy@example.org" in done.stdout
    with web(tmp_path, database) as client:
        assert sign_in(client, "cy@example.org").status_code == 302


def test_every_profile_option_and_show(planner: Run) -> None:
    made = planner(
        "users", "create", "ada@example.org", "--home", "Berlin", "--radius-km", "40",
        "--name", "Ada", "--timezone", "asia/tokyo", "--available",
        "tuesday and thursday evenings, saturday", "--per-week", "1", "--per-month", "3",
        "--no-online",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "home: Berlin → 52.52, 13.41 · Asia/Tokyo" in made.stdout  # the chosen zone stays
    profile = shown(planner, "ada@example.org")
    assert profile["availability"] == [
        "tue:evening", "thu:evening", "sat:morning", "sat:afternoon", "sat:evening",
    ]  # fmt: skip
    assert profile["availability_words"] == "Tuesday and Thursday evenings, Saturday"
    expected = {"name": "Ada", "radius_km": 40, "timezone": "Asia/Tokyo", "timezone_auto": False}
    expected |= {"events_per_week": 1, "events_per_month": 3, "online_ok": False, "goals": []}
    assert {key: profile[key] for key in expected} == expected
    assert round(profile["home_lat"], 1) == 52.5 and profile["home_looked_up_at"]
    text = planner("users", "show", "ada@example.org").stdout
    assert "free:         Tuesday and Thursday evenings, Saturday" in text
    assert "budget:       1 a week, 3 a month" in text and "online:       not wanted" in text


def test_an_unknown_place_is_a_warning(planner: Run) -> None:
    made = planner("users", "create", "ed@example.org", "--home", "Qqzzx Flats")
    assert made.exit_code == 0
    assert "'Qqzzx Flats' was not found: try 'City, Country' (time zone stays UTC)" in made.stderr
    listed = planner("users", "list").stdout
    assert "ed@example.org" in listed and "Qqzzx Flats: not found" in listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timezone", "Mars/Base"], "--timezone: 'Mars/Base' is not a time zone name"),
        (["--radius-km", "0"], "--radius-km: choose a whole number from 1 to 20000"),
        (["--per-week", "4", "--per-month", "3"], "--per-month: a month holds at least a week"),
        (["--per-week", "51"], "--per-week: choose a whole number from 0 to 50"),
        (["--available", "funday"], "--available: 'funday' is not a day"),
        (["--available", ""], "--available: say when you are free"),
    ],
)
def test_bad_profile_options_create_nothing(planner: Run, args: list[str], message: str) -> None:
    refused = planner("users", "create", "ann@example.org", "--home", "Berlin", *args)
    assert refused.exit_code == 2
    assert refused.stderr.startswith("planner: " + message) and refused.stderr.count("\n") == 1
    assert "ann@example.org" not in planner("users", "list").stdout


def test_bad_accounts_are_refused(planner: Run) -> None:
    assert planner("users", "create", "ann@example.org", "--home", "Oslo").exit_code == 0
    again = planner("users", "create", "ANN@example.org", "--home", "Oslo")
    assert again.exit_code == 2 and "already exists" in again.stderr
    bad = planner("users", "create", "not-an-email", "--home", "Oslo")
    assert bad.exit_code == 2 and "is not an email address" in bad.stderr
    no_home = planner("users", "create", "bo@example.org")
    assert no_home.exit_code == 2 and "--home" in no_home.stderr
    short = planner(
        "users", "create", "cy@example.org", "--home", "Oslo", "--password-stdin", input="short\n"
    )
    assert short.exit_code == 2 and "at least 10" in short.stderr
    listed = planner("users", "list").stdout.splitlines()
    assert len(listed) == 1 and "ann@example.org" in listed[0]


def test_goals_from_the_command_line(planner: Run) -> None:
    planner("users", "create", "ann@example.org", "--home", "Oslo")
    added = planner("goals", "add", "--user", "ann@example.org", "meet", "Rust", "developers")
    assert added.exit_code == 0 and added.stdout == "goal 1: meet Rust developers (priority 2)\n"
    planner("goals", "add", "--user", "ann@example.org", "--priority", "1", "hire a designer")
    assert planner("goals", "pause", "--user", "ann@example.org", "1").exit_code == 0
    listed = planner("goals", "list", "--user", "ann@example.org").stdout.splitlines()
    assert listed == [
        "   2  1 high    hire a designer",
        "   1  2 medium  meet Rust developers  (paused)",
    ]
    assert planner("goals", "resume", "--user", "ann@example.org", "1").exit_code == 0
    edited = planner("goals", "edit", "--user", "ann@example.org", "1", "--priority", "3")
    assert edited.stdout == "goal 1 saved: meet Rust developers (priority 3)\n"
    rows = json.loads(planner("goals", "list", "--user", "ann@example.org", "--json").stdout)
    assert [(r["id"], r["priority"], r["paused"]) for r in rows] == [(2, 1, False), (1, 3, False)]
    assert planner("goals", "remove", "--user", "ann@example.org", "2").exit_code == 0
    assert [g["text"] for g in shown(planner, "ann@example.org")["goals"]] == [
        "meet Rust developers"
    ]


def test_goals_belong_to_their_user(planner: Run) -> None:
    planner("users", "create", "ann@example.org", "--home", "Oslo")
    planner("goals", "add", "--user", "ann@example.org", "meet Rust developers")
    mine = planner("goals", "add", "find a mentor")  # the local owner by default
    assert mine.exit_code == 0
    assert planner("goals", "list").stdout.splitlines() == ["   2  2 medium  find a mentor"]
    for action in ("pause", "resume", "remove"):
        refused = planner("goals", action, "1")
        assert refused.exit_code == 2 and "no goal 1" in refused.stderr, action
    unknown = planner("goals", "list", "--user", "typo@example.org")
    assert unknown.exit_code == 2 and unknown.stderr == "planner: no user 'typo@example.org'\n"
    bad = planner("goals", "add", "--user", "ann@example.org", "--priority", "4", "x")
    assert bad.exit_code == 2 and "priority is 1 (high), 2 (medium) or 3 (low)" in bad.stderr
    kept = json.loads(planner("goals", "list", "--user", "ann@example.org", "--json").stdout)
    assert [(g["id"], g["paused"]) for g in kept] == [(1, False)]
