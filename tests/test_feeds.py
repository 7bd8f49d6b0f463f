"""The calendar feed builder (`planner.feeds`, pure: items in, .ics bytes out) read back with
`icalendar`, and `planner feeds url | rotate | revoke` as a user types them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from planner.feeds import (
    FIELDS,
    Item,
    Listing,
    build_calendar,
    compose,
    escape,
    fold,
    item_from,
    times,
)
from tests.conftest import Cli, Run

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
LISTING = Listing("planner: recommended for Ada", "planner.example.org")


def item(number: int, **given: object) -> Item:
    start = NOW + timedelta(days=number, hours=9)
    values: dict[str, object] = {
        "id": number,
        "title": f"Event {number}",
        "start": start,
        "end": start + timedelta(hours=2),
        "all_day": False,
        "floating": False,
        "status": "scheduled",
        "sequence": 0,
        "updated_at": NOW - timedelta(days=3, microseconds=1234),
        "page": f"https://planner.example.org/events/{number}",
    }
    return Item(**(values | given))  # type: ignore[arg-type]


def parsed(items: list[Item]) -> dict[str, object]:
    """uid -> VEVENT as icalendar reads the built bytes."""
    calendar = Calendar.from_ical(build_calendar(LISTING, items))
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


# --- text and lines --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "commas, semicolons; backslashes \\ and\nnew lines\r\nand CRs\rtoo",
        "Café „Zur Linde“ — naïve ünïcödé 東京 🎉" * 6,
        "x" * 74 + "é" * 3,  # a two-byte character at the fold
        "\x00control\x07 characters\x1b gone\ttab kept",
    ],
)
def test_text_survives_escaping_and_folding(text: str) -> None:
    data = build_calendar(LISTING, [item(1, title=text, description=text, venue=text)])
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert not data.replace(b"\r\n", b"").count(b"\n")  # every line break is CRLF
    event = Calendar.from_ical(data).walk("VEVENT")[0]
    clean = text.replace("\r\n", "\n").replace("\r", "\n")
    clean = "".join(c for c in clean if c in "\n\t" or ord(c) >= 32 and c != "\x7f")
    assert str(event["summary"]) == clean
    assert str(event["location"]) == clean
    assert clean in str(event["description"])


def test_folding_never_cuts_a_character() -> None:
    for line in ("DESCRIPTION:" + "ab€" * 60, "DESCRIPTION:" + "x" * 200, "SUMMARY:short"):
        folded = fold(line)
        parts = folded.split("\r\n")
        assert all(len(part.encode()) <= 75 for part in parts)  # whole characters each
        assert all(part.startswith(" ") for part in parts[1:])
        assert folded.replace("\r\n ", "") == line
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


# --- times -------------------------------------------------------------------------------------


def test_times_all_day_floating_and_without_end() -> None:
    day = datetime(2026, 12, 3, tzinfo=UTC)  # all-day: midnight UTC of the day, as stored
    two_days = item(1, all_day=True, start=day, end=day + timedelta(days=2))
    assert times(two_days) == (date(2026, 12, 3), date(2026, 12, 5))  # the end is exclusive
    assert times(replace(two_days, end=None)) == (date(2026, 12, 3), date(2026, 12, 4))
    assert times(replace(two_days, end=day)) == (date(2026, 12, 3), date(2026, 12, 4))
    wall = datetime(2026, 12, 3, 19, 30, tzinfo=UTC)  # floating: the wall clock as if UTC
    floating = item(2, floating=True, start=wall, end=None)
    assert times(floating) == (datetime(2026, 12, 3, 19, 30), datetime(2026, 12, 3, 21, 30))
    timed = item(3, start=wall, end=None)
    assert times(timed) == (wall, wall + timedelta(hours=2))

    events = parsed([two_days, floating, timed])
    assert events["event-1@planner.example.org"].decoded("dtend") == date(2026, 12, 5)
    assert events["event-2@planner.example.org"].decoded("dtstart").tzinfo is None
    assert events["event-3@planner.example.org"].decoded("dtstart") == wall
    assert "No end time given" in str(events["event-3@planner.example.org"]["description"])


# --- what a feed holds -------------------------------------------------------------------------


def test_an_item_takes_the_first_values_of_a_row_and_what_is_given() -> None:
    """`item_from` reads the event's columns by position (a query selects them first), lets
    the caller date it by the mark, and refuses a row that lacks some."""
    made = item(4, venue="Haus 1", url="https://example.org/e/4")
    columns = [getattr(made, name) for name in FIELDS]
    later = NOW + timedelta(hours=1)
    assert item_from((*columns, "going", later), made.page) == made  # more columns after
    taken = item_from(columns, made.page, mark="going", updated_at=later)
    assert taken == replace(made, mark="going", updated_at=later)
    with pytest.raises(ValueError, match="an item needs the 16 values of FIELDS, not 15"):
        item_from(columns[:-1], made.page)


def test_compose_keeps_cancelled_picks_a_week_and_merges_marks() -> None:
    pick = item(5, reasons=("matches your goal",), introductions=("introduce A and B",))
    marked_at = pick.updated_at + timedelta(days=1)
    going = [item(5, mark="going", updated_at=marked_at, people=("Ada (speaking: talk)",))]
    going.append(item(9, mark="going"))
    recent = item(-3, status="cancelled")  # ended three days ago: kept
    old = item(-9, status="cancelled")  # ended nine days ago: gone
    scheduled = item(-2)  # not cancelled: only recommendations of now count
    found = compose([pick, item(2)], going, [recent, old, scheduled], NOW)
    assert [i.id for i in found] == [-3, 2, 5, 9]  # by start
    merged = found[2]  # the recommendation, marked: its reasons stay
    assert merged.mark == "going" and merged.reasons == pick.reasons
    assert merged.introductions == pick.introductions and merged.people == going[0].people
    assert merged.updated_at == marked_at  # dated by the later change: the mark
    earlier = replace(going[0], updated_at=pick.updated_at - timedelta(days=1))
    assert compose([pick], [earlier], [], NOW)[0].updated_at == pick.updated_at
    text = build_calendar(LISTING, [merged]).decode().replace("\r\n ", "")  # unfolded
    assert f"DTSTAMP:{marked_at:%Y%m%dT%H%M%S}Z" in text and "TRANSP:OPAQUE" in text
    assert "You are going.\\n\\nWhy planner recommends it:\\n- matches your goal" in text


def test_calendar_and_event_properties() -> None:
    cancelled = item(4, status="cancelled", sequence=3, lat=52.5312, lon=13.3846)
    going = item(
        5,
        mark="going",
        venue="Kiezwerk Coworking",
        address="Invalidenstraße 112, 10115 Berlin",
        url="https://www.meetup.com/pyberlin/events/1/",
        reasons=('matches your goal "meet Python developers"', "1.9 km from home"),
        people=("Hanna Vogel (speaking: Talk by Dr. Hanna Vogel)",),
        introductions=("introduce Hanna Vogel and Jonas Weber: both into python",),
    )
    data = build_calendar(LISTING, [cancelled, going])
    calendar = Calendar.from_ical(data)
    assert str(calendar["prodid"]) == "-//planner//feed//EN"
    assert str(calendar["method"]) == "PUBLISH" and str(calendar["version"]) == "2.0"
    assert str(calendar["x-wr-calname"]) == str(calendar["name"]) == LISTING.name
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in data
    first, second = calendar.walk("VEVENT")
    assert str(first["summary"]) == "Cancelled: Event 4" and str(first["status"]) == "CANCELLED"
    assert first.decoded("sequence") == 3 and first.decoded("geo") == (52.5312, 13.3846)
    stamp = (NOW - timedelta(days=3)).replace(microsecond=0) - timedelta(seconds=1)
    assert first.decoded("dtstamp") == first.decoded("last-modified") == stamp
    assert str(second["location"]) == "Kiezwerk Coworking, Invalidenstraße 112, 10115 Berlin"
    assert str(second["transp"]) == "OPAQUE" and str(first["transp"]) == "TRANSPARENT"
    assert str(second["url"]) == "https://planner.example.org/events/5"
    text = str(second["description"])
    assert text.startswith("You are going.\n\nWhy planner recommends it:\n- matches your goal")
    assert "People you could meet there:\n- Hanna Vogel (speaking: Talk by" in text
    assert "Introductions worth making:\n- introduce Hanna Vogel and Jonas Weber" in text
    assert "Event page: https://www.meetup.com/pyberlin/events/1/" in text
    assert build_calendar(LISTING, [cancelled, going]) == data  # no clock in the bytes


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def planner(cli: Cli) -> Run:
    run = cli(
        PLANNER_SECRET_KEY="the web app's key", PLANNER_BASE_URL="https://planner.example.org/"
    )
    assert run("users", "create", "ann@example.org", "--home", "Berlin").exit_code == 0
    return run


def test_feeds_url_rotate_and_revoke(planner, tmp_path: Path) -> None:
    first = planner("feeds", "url", "--user", "ann@example.org")
    assert first.exit_code == 0, first.output
    url = first.stdout.strip()
    assert url.startswith("https://planner.example.org/feeds/") and url.endswith(".ics")
    assert len(url.rsplit("/", 1)[1]) == len("x" * 43 + ".ics")  # 256 bits
    assert planner("feeds", "url", "--user", "ann@example.org").stdout.strip() == url
    going = planner("feeds", "url", "--user", "ann@example.org", "--going-only").stdout.strip()
    assert going != url and going.startswith("https://planner.example.org/feeds/")

    with _served(tmp_path) as served:
        _check_urls(planner, served, url, going)


def _check_urls(planner, served, url: str, going: str) -> None:
    assert served.get(_path(url)).status_code == 200
    rotated = planner("feeds", "rotate", "--user", "ann@example.org").stdout.strip()
    assert rotated not in (url, going)
    assert served.get(_path(url)).status_code == 404
    assert served.get(_path(rotated)).status_code == 200
    revoked = planner("feeds", "revoke", "--user", "ann@example.org", "--going-only")
    assert revoked.stdout.strip() == "turned off the going-only feed of ann@example.org"
    assert served.get(_path(going)).status_code == 404
    again = planner("feeds", "revoke", "--user", "ann@example.org", "--going-only")
    assert "was not on" in again.stdout


def test_feeds_url_refusals(planner) -> None:
    unknown = planner("feeds", "url", "--user", "nobody@example.org")
    assert unknown.exit_code == 2
    assert unknown.stderr == "planner: no user 'nobody@example.org'\n"
    assert planner("feeds", "url").exit_code == 0  # the local owner by default
    other_key = planner("feeds", "url", PLANNER_SECRET_KEY="another key")
    assert other_key.exit_code == 2 and other_key.stdout == ""
    assert "made under another PLANNER_SECRET_KEY" in other_key.stderr
    assert "planner feeds rotate" in other_key.stderr


def test_feeds_url_refuses_the_public_development_key_outside_debug(planner) -> None:
    """Without PLANNER_SECRET_KEY a URL would be an HMAC under the well-known development key
    of the seed in the database: anyone who reads the database could work it out."""
    made = planner("feeds", "url").stdout.strip()
    unset = {"PLANNER_DEBUG": "0", "PLANNER_SECRET_KEY": None}
    for command in (("url",), ("url", "--going-only"), ("rotate",)):
        refused = planner("feeds", *command, **unset)
        assert refused.exit_code == 2 and refused.stdout == "", command
        assert refused.stderr.startswith("planner: PLANNER_SECRET_KEY is not set: ")
        assert refused.stderr.count("\n") == 1
    assert planner("feeds", "url").stdout.strip() == made  # the refused rotate changed nothing
    assert planner("feeds", "url", "--going-only").exit_code == 0  # in debug mode: made now
    set_key = planner("feeds", "url", PLANNER_DEBUG="0")
    assert set_key.exit_code == 0 and set_key.stdout.strip() == made


def _path(url: str) -> str:
    return url.removeprefix("https://planner.example.org")


@contextmanager
def _served(tmp_path: Path) -> Iterator[FlaskClient]:
    """A test client of the web app on the command line's database."""
    from planner import create_app, db

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "the web app's key",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    yield app.test_client()
    with app.app_context():
        db.engine().dispose()
