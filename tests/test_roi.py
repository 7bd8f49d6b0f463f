"""ROI: what each goal and source has yielded, built with the real pipeline (demo feeds read as
sources, `recommend`, marks, meetings, follow-ups) on SQLite and PostgreSQL; the pages, their
chart, scoping (another user's goal or source is not found) and, in Chromium, how they look.

Times are placed around the real clock, since the pages count the last six months up to today.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, expect
from sqlalchemy import event as sql_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import db
from planner.accounts import create_user
from planner.attendance import log_meetings, mark_followed_up, set_state
from planner.contactbook import add_contact
from planner.demo import build_feeds
from planner.goals import add_goal
from planner.jobs import refresh_source, wait_background
from planner.models import Event, User
from planner.recommend import recommend
from planner.roi import (
    Facts,
    Met,
    Month,
    Tally,
    Touched,
    by_goal,
    by_source,
    chart,
    load_facts,
    month_starts,
    monthly,
    scale,
    tally,
)
from planner.sources import add_file_source
from tests.accounts import PASSWORD, signed_in
from tests.browser import PHONE, Tab, serve, tab
from tests.conftest import close, database_url, make_app

TYPED = "PyBerlin Talks: Typed Python in Production"
STUDY = "Python Study Group: async & await"
POLARS = "PyBerlin Talks: Data Pipelines with Polars"
WORKSHOP = "Beginners' Python Workshop"
DEMO_NIGHT = "AI Builders Demo Night"
RUST = "Rust Hack & Learn"
PYTHON_EVENTS = (TYPED, STUDY, POLARS, WORKSHOP)


@dataclass
class Story:
    """One user's history: goals and sources by name, what was recommended (first 45 days ago,
    again today), what was done, and so the numbers it should come to."""

    user_id: int
    goals: dict[str, int]
    sources: dict[str, int]  # meetup | luma | google
    first: set[int] = field(default_factory=set)  # events recommended 45 days ago
    second: set[int] = field(default_factory=set)  # events recommended today, not before
    events: dict[str, int] = field(default_factory=dict)  # title -> id, the ones acted on
    days: dict[str, date] = field(default_factory=dict)  # title -> the event's day (UTC)
    met: list[tuple[int, str]] = field(default_factory=list)  # (contact id, event title)

    def recommended_from(self, session: Session, source_id: int) -> int:
        """How many recommended events the source lists (worked out apart from planner.roi)."""
        rows = session.scalars(select(Event).where(Event.id.in_(self.first | self.second)))
        return sum(any(link.source_id == source_id for link in row.links) for row in rows)

    def months(self, now: datetime, titles: tuple[str, ...] | None = None) -> list[Month]:
        """The chart's numbers from the story's own dates, for the events `titles` (the acted-on
        events; None: everything)."""
        ids = None if titles is None else {self.events[t] for t in titles}
        before = (now - timedelta(days=45)).date().replace(day=1)
        recommended = Counter(
            {
                before: len(self.first if ids is None else self.first & ids),
                now.date().replace(day=1): len(self.second if ids is None else self.second & ids),
            }
        )
        chosen = titles or tuple(self.events)
        attended = Counter(self.days[t].replace(day=1) for t in ATTENDED if t in chosen)
        people = Counter(
            month
            for month, _ in {
                (self.days[title].replace(day=1), contact)
                for contact, title in self.met
                if title in chosen
            }
        )
        return [
            Month(first, recommended[first], attended[first], people[first])
            for first in month_starts(now.date())
        ]


ATTENDED = (TYPED, STUDY, RUST, DEMO_NIGHT)


def live(session: Session, now: datetime, email: str, tmp_path: Path) -> Story:
    """An account with three goals and the three demo feeds as sources; recommendations 45 days
    ago, then a Python workshop marked going, two Python evenings and a Rust evening attended
    with people met, one Python talk dismissed, an AI evening attended that was never
    recommended, one follow-up done; and recommendations again today."""
    start = now - timedelta(days=45)
    user = create_user(session, email, PASSWORD, start)
    goals = {
        "python": add_goal(session, user, "meet Python developers", 1, start).id,
        "rust": add_goal(session, user, "meet Rust people", 2, start).id,
        "pottery": add_goal(session, user, "learn pottery", 3, start).id,
    }
    sources = {}
    folder = tmp_path / email
    folder.mkdir()
    for feed in build_feeds(start):
        path = folder / f"{feed.slug}.ics"
        path.write_bytes(feed.content)
        source = add_file_source(session, user, path, "ical", feed.name, now=start)
        sources[feed.slug.rsplit("-", 1)[1]] = source.id
    session.commit()
    for source_id in sources.values():
        assert refresh_source(source_id, start.isoformat(), force=True)["ok"]
    story = Story(user.id, goals, sources)
    story.first = {r.event.id for r in recommend(session, user, start)}
    session.commit()
    _act(session, user, start, story)
    session.commit()
    story.second = {r.event.id for r in recommend(session, user, now)} - story.first
    session.commit()
    return story


def _act(session: Session, user: User, start: datetime, story: Story) -> None:
    rows = session.scalars(select(Event).where(Event.owner_id == user.id).order_by(Event.start))
    events: dict[str, Event] = {}
    for row in rows:
        if row.title != RUST or row.id in story.first:
            events.setdefault(row.title, row)  # the first Rust evening recommended
    story.events = {title: events[title].id for title in (*PYTHON_EVENTS, DEMO_NIGHT, RUST)}
    story.days = {title: events[title].start.date() for title in story.events}
    assert {story.events[t] for t in (*PYTHON_EVENTS, RUST)} <= story.first, "picks as planned"
    assert story.events[DEMO_NIGHT] not in story.first, "the AI evening is not a pick"
    later = start + timedelta(days=32)  # all but the workshop are over

    def contact(name: str) -> int:
        return add_contact(session, user, {"name": name, "city": "Berlin"}, start).id

    def meet(title: str, known: list[int], new: list[str]) -> list[int]:
        event = events[title]
        log = log_meetings(session, user, event, known, new, event.start.date(), later)
        story.met += [(m.contact_id, title) for m in log.met]
        return [m.id for m in log.met]

    hanna, tobias, lena = (
        contact("Hanna Vogel"),
        contact("Tobias Lindner"),
        contact("Lena Hartmann"),
    )
    set_state(session, user, events[WORKSHOP], "going", start)
    typed = meet(TYPED, [hanna, tobias], [])
    meet(STUDY, [hanna], ["Carla Jensen"])
    meet(RUST, [lena], [])
    meet(DEMO_NIGHT, [], ["Eli Park"])
    log_meetings(session, user, None, [lena], [], later.date(), later)  # over coffee, no event
    set_state(session, user, events[POLARS], "dismissed", later)
    mark_followed_up(session, user, typed[0], later)


def test_each_goal_and_source_counts_what_it_yielded(any_app: Flask, tmp_path: Path) -> None:
    session = db.session()
    now = datetime.now(UTC)
    ann = live(session, now, "ann@example.org", tmp_path)
    live(session, now, "bob@example.org", tmp_path)  # counts nowhere in ann's numbers
    user = session.get(User, ann.user_id)
    assert user is not None
    statements: list[str] = []
    listen = sql_event.listens_for(db.engine(), "before_cursor_execute")
    counted = listen(lambda _c, _cursor, statement, *_: statements.append(statement))
    facts = load_facts(session, user)
    sql_event.remove(db.engine(), "before_cursor_execute", counted)
    assert len(statements) == 3, "a few queries, not one per row"
    today = now.date()
    goals, sources = by_goal(facts), by_source(facts)

    python = Tally(
        recommended=4, going=1, attended=2, dismissed=1, people=3, meetings=4, followed_up=1, due=3
    )
    assert tally(facts, goals[ann.goals["python"]], today) == python
    assert tally(facts, sources[ann.sources["meetup"]], today) == python
    rust_picks = len([i for i in ann.first | ann.second if facts.events[i].title == RUST])
    assert rust_picks >= 2 and ann.second, "Rust evenings are picked, again today"
    rust = Tally(recommended=rust_picks, attended=1, people=1, meetings=1, due=1)
    assert tally(facts, goals[ann.goals["rust"]], today) == rust
    for name in ("google", "luma"):  # the AI evening was never recommended: it counts anyway
        source_id = ann.sources[name]
        recommended = ann.recommended_from(session, source_id)
        yielded = Tally(recommended=recommended, attended=1, people=1, meetings=1, due=1)
        assert tally(facts, sources[source_id], today) == yielded, name
    assert ann.goals["pottery"] not in goals
    assert tally(facts, (), today) == Tally()
    everything = Tally(
        recommended=len(ann.first | ann.second),
        going=1,
        attended=4,
        dismissed=1,
        people=5,  # at events: Lena met again over coffee counts once, at the Rust evening
        meetings=6,
        followed_up=1,
        due=5,
    )
    assert tally(facts, None, today) == everything

    assert monthly(facts, None, today) == ann.months(now)
    assert monthly(facts, goals[ann.goals["python"]], today) == ann.months(now, PYTHON_EVENTS)
    assert [m.first for m in monthly(facts, None, today)] == month_starts(today)


@pytest.mark.parametrize(
    ("maximum", "top", "ticks"),
    [
        (0, 1, [0, 1]),
        (1, 1, [0, 1]),
        (4, 4, [0, 1, 2, 3, 4]),
        (7, 8, [0, 2, 4, 6, 8]),
        (10, 10, [0, 2, 4, 6, 8, 10]),
        (11, 15, [0, 5, 10, 15]),
        (26, 30, [0, 10, 20, 30]),
        (120, 150, [0, 50, 100, 150]),
    ],
)
def test_the_scale_is_round_and_reaches_the_highest_bar(
    maximum: int, top: int, ticks: list[int]
) -> None:
    assert scale(maximum) == (top, ticks)


def test_bars_are_as_tall_as_their_numbers() -> None:
    months = [
        Month(first, n, n // 2, n // 4)
        for first, n in zip(month_starts(date(2026, 2, 9)), [0, 3, 8, 5, 1, 0], strict=True)
    ]
    drawn = chart(months)
    assert [g.month.first for g in drawn.groups] == [
        date(2025, 9, 1),
        *[date(y, m, 1) for y, m in ((2025, 10), (2025, 11), (2025, 12), (2026, 1), (2026, 2))],
    ]
    assert drawn.top == 8 and drawn.ticks[-1].value == 8 and not drawn.empty
    plot = drawn.baseline - drawn.ticks[-1].y
    for group in drawn.groups:
        assert [b.series for b in group.bars] == ["recommended", "attended", "people"]
        assert [b.value for b in group.bars] == [
            group.month.recommended,
            group.month.attended,
            group.month.people,
        ]
        for bar in group.bars:
            assert bar.height == pytest.approx(plot * bar.value / 8, abs=0.01)
            assert bar.y + bar.height == pytest.approx(drawn.baseline, abs=0.01)
            assert drawn.left <= bar.x and bar.x + bar.width <= drawn.width - drawn.right
        xs = [b.x for b in group.bars]
        assert (
            xs == sorted(xs) and group.bars[0].x < group.x < group.bars[-1].x + group.bars[-1].width
        )
    tallest = drawn.groups[2].bars[0]
    assert tallest.y == pytest.approx(drawn.ticks[-1].y, abs=0.01)  # 8 reaches the top line
    assert chart([Month(m, 0, 0, 0) for m in month_starts(date(2026, 2, 9))]).empty


def test_a_month_is_the_users_month() -> None:
    late = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # already February in Berlin
    event = Touched(1, "Late talk", late, date(2026, 2, 1), "scheduled", late, state="attended")
    meeting = Met(1, 1, 7, "Ann", date(2026, 2, 1), date(2026, 2, 4), None)
    facts = Facts({1: event}, [meeting], ZoneInfo("Europe/Berlin"))
    january, february = monthly(facts, None, date(2026, 2, 10), count=2)
    assert (january.recommended, january.attended, january.people) == (0, 0, 0)
    assert (february.recommended, february.attended, february.people) == (1, 1, 1)
    assert tally(facts, [1], date(2026, 2, 3)).due == 0
    assert tally(facts, [1], date(2026, 2, 4)).due == 1


def test_months_run_back_over_the_turn_of_the_year() -> None:
    assert month_starts(date(2026, 2, 28), 4) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


# --- the pages ------------------------------------------------------------------------------------


@dataclass
class World:
    app: Flask
    now: datetime
    ann: Story
    bob: Story


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """Multi-user mode with two accounts, ann and bob, each with the same story."""
    url = database_url(request.param, tmp_path, request.getfixturevalue("postgres_schema_factory"))
    app = make_app(url, tmp_path, MODE="multi")
    with app.app_context():
        session, now = db.session(), datetime.now(UTC)
        ann = live(session, now, "ann@example.org", tmp_path)
        bob = live(session, now, "bob@example.org", tmp_path)
        yield World(app, now, ann, bob)
        close(app)


def page_of(client: FlaskClient, path: str) -> BeautifulSoup:
    answer = client.get(path)
    assert answer.status_code == 200, path
    return BeautifulSoup(answer.get_data(as_text=True), "html.parser")


def counts_in(row: Tag) -> dict[str, str]:
    return {td["class"][0]: td.get_text(" ", strip=True) for td in row.find_all("td")}


def bars_in(page: BeautifulSoup) -> list[Month]:
    """The months as the chart draws them, checking each bar's height against its number."""
    svg = page.select_one("svg.roi-bars")
    assert svg is not None
    ticks = svg.select("line.grid")
    baseline, top_y = float(ticks[0]["y1"]), float(ticks[-1]["y1"])
    top = int(svg.select("text.tick")[-1].get_text())
    drawn = []
    for group in svg.select("g.month-group"):
        values = {}
        for rect in group.select("rect.bar"):
            value = int(rect["data-value"])
            height = float(rect["height"])
            assert height == pytest.approx((baseline - top_y) * value / top, abs=0.02)
            assert float(rect["y"]) + height == pytest.approx(baseline, abs=0.02)
            values[rect["data-series"]] = value
        first = date.fromisoformat(group["data-month"] + "-01")
        drawn.append(Month(first, values["recommended"], values["attended"], values["people"]))
    return drawn


def numbers_in(page: BeautifulSoup) -> list[Month]:
    """The months as the table under the chart gives them."""
    rows = []
    for row in page.select("table.roi-numbers tbody tr"):
        first = datetime.strptime(row.th.get_text(), "%b %Y").date()
        recommended, attended, people = (int(td.get_text()) for td in row.find_all("td"))
        rows.append(Month(first, recommended, attended, people))
    return rows


def test_the_overview_has_each_goal_and_source_and_the_chart(world: World) -> None:
    ann, bob = world.ann, world.bob
    page = page_of(signed_in(world.app, "ann@example.org"), "/roi/")
    python = page.select_one(f"tr#goal-{ann.goals['python']}")
    assert python is not None and python.th.a["href"] == f"/roi/goals/{ann.goals['python']}"
    assert "meet Python developers" in python.th.get_text()
    assert counts_in(python) == {
        "recommended": "4",
        "going": "1",
        "attended": "2",
        "dismissed": "1",
        "people": "3",
        "follow-ups": "1 done · 3 due",
    }
    rust = counts_in(page.select_one(f"tr#goal-{ann.goals['rust']}"))
    session = db.session()
    rust_picks = sum(session.get(Event, i).title == RUST for i in ann.first | ann.second)  # type: ignore[union-attr]
    assert (rust["recommended"], rust["attended"], rust["people"]) == (str(rust_picks), "1", "1")
    assert set(counts_in(page.select_one(f"tr#goal-{ann.goals['pottery']}")).values()) == {
        "0",
        "0 done",
    }
    meetup = page.select_one(f"tr#source-{ann.sources['meetup']}")
    assert counts_in(meetup) == counts_in(python)
    assert meetup.th.a["href"] == f"/roi/sources/{ann.sources['meetup']}"
    luma = counts_in(page.select_one(f"tr#source-{ann.sources['luma']}"))
    assert luma == {
        "recommended": str(ann.recommended_from(session, ann.sources["luma"])),
        "going": "0",
        "attended": "1",
        "dismissed": "0",
        "people": "1",
        "follow-ups": "0 done · 1 due",
    }
    assert len(page.select("table.roi tbody tr")) == 6  # ann's three goals and three sources
    assert not page.select(f"tr#goal-{bob.goals['python']}, tr#source-{bob.sources['meetup']}")

    totals = [li.get_text(" ", strip=True) for li in page.select(".roi-counts li")]
    assert totals == [
        f"{len(ann.first | ann.second)} recommended",
        "1 going",
        "4 attended",
        "1 not interested",
        "5 people met",
        "1 follow-up done · 5 due",
    ]
    months = ann.months(world.now)
    assert bars_in(page) == months == numbers_in(page)
    desc = page.select_one("svg.roi-bars desc")
    assert desc is not None
    for month in months:
        said = f"{month.first:%B %Y}: {month.recommended} recommended, {month.attended} attended"
        assert said in desc.get_text()


def test_a_goal_and_a_source_show_the_events_and_people_behind_them(world: World) -> None:
    ann = world.ann
    client = signed_in(world.app, "ann@example.org")
    page = page_of(client, f"/roi/goals/{ann.goals['python']}")
    assert page.h1.get_text() == "meet Python developers"
    assert bars_in(page) == ann.months(world.now, PYTHON_EVENTS) == numbers_in(page)
    events = page.select("li.roi-event")
    assert [e.select_one("a.title").get_text() for e in events] == [
        WORKSHOP,
        POLARS,
        STUDY,
        TYPED,
    ]  # the latest first
    marks = [[b.get_text() for b in e.select(".marks .badge")][1:] for e in events]
    assert marks == [["going"], ["not interested"], ["attended"], ["attended"]]
    assert all(e.select_one(".roi-recommended") for e in events)
    assert (
        events[3].select_one(".roi-met").get_text(" ", strip=True)
        == "Met Hanna Vogel , Tobias Lindner"
    )
    people = {p.select_one("a.name").get_text(): p for p in page.select("li.roi-person")}
    assert sorted(people) == ["Carla Jensen", "Hanna Vogel", "Tobias Lindner"]
    hanna = [li.get_text(" ", strip=True) for li in people["Hanna Vogel"].select("ul li")]
    assert len(hanna) == 2
    assert any(TYPED in line and "followed up" in line for line in hanna)
    assert any(STUDY in line and "follow-up due since" in line for line in hanna)

    page = page_of(client, f"/roi/sources/{ann.sources['luma']}")
    assert page.h1.get_text() == "Berlin AI Builders"
    (night,) = page.select("li.roi-event")
    assert night.select_one("a.title").get_text() == DEMO_NIGHT
    assert night.select_one("a.title")["href"] == f"/events/{ann.events[DEMO_NIGHT]}"
    assert [b.get_text() for b in night.select(".marks .badge")] == ["not recommended", "attended"]
    assert [p.select_one("a.name").get_text() for p in page.select("li.roi-person")] == ["Eli Park"]

    empty = page_of(client, f"/roi/goals/{ann.goals['pottery']}")
    assert not empty.select("li.roi-event") and "No event has been recommended" in empty.text


def test_another_users_goal_or_source_is_not_found(world: World) -> None:
    ann, bob = world.ann, world.bob
    client = signed_in(world.app, "ann@example.org")
    for path in (
        f"/roi/goals/{bob.goals['python']}",
        f"/roi/sources/{bob.sources['meetup']}",
        "/roi/goals/999999",
        "/roi/sources/999999",
    ):
        assert client.get(path).status_code == 404, path
    theirs = signed_in(world.app, "bob@example.org")
    assert theirs.get(f"/roi/goals/{ann.goals['python']}").status_code == 404
    own = page_of(theirs, f"/roi/goals/{bob.goals['python']}")
    shown = {int(li["id"].removeprefix("event-")) for li in own.select("li.roi-event")}
    assert shown == {bob.events[t] for t in PYTHON_EVENTS} and not shown & set(ann.events.values())
    away = world.app.test_client().get("/roi/")
    assert away.status_code == 302 and away.location.startswith("/sign-in")


def test_a_new_account_is_told_where_the_numbers_come_from(world: World) -> None:
    session = db.session()
    create_user(session, "cy@example.org", PASSWORD, world.now)
    session.commit()
    page = page_of(signed_in(world.app, "cy@example.org"), "/roi/")
    assert [e.get_text(" ", strip=True)[:12] for e in page.select(".empty")] == [
        "No goals yet",
        "No sources y",
    ]
    assert "Nothing in these months yet" in page.text
    assert bars_in(page) == [Month(first, 0, 0, 0) for first in month_starts(world.now.date())]


# --- in Chromium ----------------------------------------------------------------------------------


@pytest.fixture
def roi_site(tmp_path: Path) -> Iterator[tuple[str, Story, datetime]]:
    """Multi-user mode, served on a free local port, with ann's story."""
    app = make_app(f"sqlite:///{tmp_path / 'planner.sqlite3'}", tmp_path, MODE="multi")
    with app.app_context():
        now = datetime.now(UTC)
        ann = live(db.session(), now, "ann@example.org", tmp_path)
        with serve(app) as base:
            yield base, ann, now
        wait_background()
        close(app)


@pytest.mark.browser
def test_the_roi_pages_in_chromium(
    roi_site: tuple[str, Story, datetime], chromium_browser: Browser
) -> None:
    base, ann, now = roi_site
    t = _signed_in_tab(chromium_browser, base, viewport={"width": 1280, "height": 900})
    page = t.page
    t.open("/roi/")
    expect(page.get_by_role("heading", level=1)).to_have_text("What it has yielded")
    name = re.compile("^Events recommended, events attended and people met per month")
    expect(page.get_by_role("img", name=name)).to_be_visible()
    values = [n for m in ann.months(now) for n in (m.recommended, m.attended, m.people)]
    drawn = []  # (number, height on screen)
    for bar in page.locator("svg.roi-bars rect.bar").all():
        box = bar.bounding_box()  # None when nothing is drawn
        drawn.append((int(bar.get_attribute("data-value") or -1), box["height"] if box else 0.0))
    assert [number for number, _ in drawn] == values
    unit = max(height for _, height in drawn) / max(values)
    assert unit > 5, "bars tall enough to see"
    for number, height in drawn:
        assert height == pytest.approx(number * unit, abs=0.75)
    t.assert_fits()
    t.screenshot("roi.png")

    page.get_by_role("link", name="meet Python developers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("meet Python developers")
    expect(page.locator("li.roi-event")).to_have_count(4)
    expect(page.locator("li.roi-person")).to_have_count(3)
    t.screenshot("roi-goal.png")
    t.assert_clean()

    phone = _signed_in_tab(
        chromium_browser, base, viewport=PHONE, is_mobile=True, device_scale_factor=2
    )
    for path, shot in (
        ("/roi/", "roi-phone.png"),
        (f"/roi/goals/{ann.goals['python']}", "roi-goal-phone.png"),
        (f"/roi/sources/{ann.sources['luma']}", "roi-source-phone.png"),
    ):
        phone.open(path)
        phone.assert_fits()
        box = phone.page.locator("svg.roi-bars").bounding_box()
        assert box is not None and box["width"] <= PHONE["width"] and box["height"] > 100
        phone.screenshot(shot)
    phone.assert_clean()


def _signed_in_tab(browser: Browser, base: str, **options: object) -> Tab:
    t = tab(browser, base, **options)
    t.open("/sign-in")
    t.page.get_by_label("Email").fill("ann@example.org")
    t.page.get_by_label("Password").fill(PASSWORD)
    t.page.get_by_role("button", name="Sign in").click()
    expect(t.page.locator("header .who")).to_contain_text("ann@example.org")
    return t
