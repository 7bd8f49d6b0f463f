"""The bundled demo feeds: real-looking exports that parse, expand and always lie ahead of `now`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from planner.demo import DEMO_CITY, DemoFeed, build_feeds

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 3, 20, 9, 15, tzinfo=UTC)
# Around both DST switches, over New Year, late at night UTC (already tomorrow in Berlin).
NOWS = [
    NOW,
    datetime(2025, 10, 20, 22, 30, tzinfo=UTC),
    datetime(2024, 12, 28, 23, 59, tzinfo=UTC),
    datetime(2026, 6, 15, 5, 0, tzinfo=UTC),
    datetime(2027, 3, 25, 23, 0, tzinfo=UTC),
]
RUST = "Rust Hack & Learn"


def _feeds(now: datetime) -> dict[str, DemoFeed]:
    return {feed.slug: feed for feed in build_feeds(now)}


def _calendar(feed: DemoFeed) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(feed.content)


def _expand(feed: DemoFeed, now: datetime) -> list[icalendar.Event]:
    window = (now - timedelta(days=1), now + timedelta(days=60))
    return recurring_ical_events.of(_calendar(feed)).between(*window)


def _start(event: icalendar.Event) -> datetime:
    value = event["DTSTART"].dt
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), tzinfo=BERLIN)
    return value


def _occurrences(now: datetime, slug: str) -> list[icalendar.Event]:
    return _expand(_feeds(now)[slug], now)


def test_three_feeds_with_names_urls_and_real_exporter_headers() -> None:
    feeds = build_feeds(NOW)
    assert DEMO_CITY == "Berlin"
    assert [feed.slug for feed in feeds] == [
        "pyberlin-meetup",
        "berlin-ai-builders-luma",
        "berlin-tech-community-google",
    ]
    assert all(feed.url.startswith("https://") and feed.name for feed in feeds)
    assert feeds[0].url == "https://www.meetup.com/pyberlin/events/ical/"
    prodids = [_calendar(feed)["PRODID"] for feed in feeds]
    assert prodids[0] == "-//Meetup//RemoteApi//EN"
    assert prodids[1].startswith("-//Luma//")
    assert prodids[2] == "-//Google Inc//Google Calendar 70.9054//EN"


@pytest.mark.parametrize("feed", build_feeds(NOW), ids=lambda feed: feed.slug)
def test_crlf_lines_folded_at_75_octets(feed: DemoFeed) -> None:
    assert feed.content.endswith(b"END:VCALENDAR\r\n")
    lines = feed.content.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines), "long lines are folded"
    for line in lines:
        line.decode()  # no fold splits a UTF-8 character


@pytest.mark.parametrize("now", NOWS, ids=lambda now: now.isoformat())
def test_events_lie_between_one_and_forty_days_ahead(now: datetime) -> None:
    for slug in _feeds(now):
        occurrences = _occurrences(now, slug)
        assert occurrences, slug
        singles = [event for event in occurrences if event["SUMMARY"] != RUST]
        assert singles, slug
        for event in singles:
            assert now + timedelta(days=1) < _start(event) < now + timedelta(days=40), event
    series = [
        _start(e) for e in _occurrences(now, "berlin-tech-community-google") if e["SUMMARY"] == RUST
    ]
    assert len([start for start in series if start > now]) >= 6


@pytest.mark.parametrize("now", NOWS, ids=lambda now: now.isoformat())
def test_meetups_are_evenings_in_berlin_across_dst(now: datetime) -> None:
    for slug in ("pyberlin-meetup", "berlin-ai-builders-luma"):
        for event in _occurrences(now, slug):
            local = _start(event).astimezone(BERLIN)
            assert local.time() in (time(18, 30), time(19)), (slug, local)


def test_luma_times_are_utc_and_look_like_luma() -> None:
    feed = _feeds(NOW)["berlin-ai-builders-luma"]
    text = feed.content.replace(b"\r\n ", b"").decode()
    assert "X-WR-TIMEZONE:Europe/Berlin" in text
    raw = [event for event in _calendar(feed).walk("VEVENT")]
    assert 3 <= len(raw) <= 4
    assert all(event["DTSTART"].dt.utcoffset() == timedelta(0) for event in raw)
    times = [line for line in text.splitlines() if line.startswith(("DTSTART", "DTEND"))]
    assert len(times) == 2 * len(raw) and all(line.endswith("Z") for line in times)
    assert text.count('ORGANIZER;CN="Berlin AI Builders":mailto:calendar-invite@lu.ma') == len(raw)
    online = [event for event in raw if str(event["LOCATION"]).startswith("https://lu.ma/")]
    assert len(online) == 1
    for event in raw:
        assert f"Get up-to-date information at: {event['URL']}" in str(event["DESCRIPTION"])
    # 2025-04-08 is summer time: 19:00 in Berlin is 17:00 UTC.
    assert "DTSTART:20250408T170000Z" in text


def test_meetup_feed_looks_like_meetup() -> None:
    feed = _feeds(NOW)["pyberlin-meetup"]
    calendar = _calendar(feed)
    assert calendar["X-WR-CALNAME"] == "Events - PyBerlin"
    assert calendar["X-ORIGINAL-URL"] == feed.url
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"
    text = feed.content.replace(b"\r\n ", b"").decode()
    assert r"LOCATION:Kiezwerk Coworking (Invalidenstraße 112\, 10115 Berlin\, DE)" in text
    events = calendar.walk("VEVENT")
    assert 4 <= len(events) <= 6
    for event in events:
        assert str(event["UID"]).startswith("event_") and event["UID"].endswith("@meetup.com")
        assert event["URL"].startswith("https://www.meetup.com/pyberlin/events/")
        assert event["GEO"].latitude == pytest.approx(52.53, abs=0.01)
        assert "Organized by" in event["DESCRIPTION"]
    assert "Talk by Dr. Hanna Vogel (Zalando)" in events[0]["DESCRIPTION"]


def test_cancelled_meetup_event_is_there_and_marked() -> None:
    occurrences = _occurrences(NOW, "pyberlin-meetup")
    cancelled = [event for event in occurrences if event["STATUS"] == "CANCELLED"]
    assert len(cancelled) == 1
    assert cancelled[0]["SUMMARY"].startswith("CANCELLED: ")
    assert all(
        not event["SUMMARY"].startswith("CANCELLED")
        for event in occurrences
        if event["STATUS"] == "CONFIRMED"
    )


@pytest.mark.parametrize("now", NOWS, ids=lambda now: now.isoformat())
def test_series_skips_the_exdate_and_moves_the_override(now: datetime) -> None:
    feed = _feeds(now)["berlin-tech-community-google"]
    raw = [event for event in _calendar(feed).walk("VEVENT") if event["SUMMARY"] == RUST]
    master = next(event for event in raw if "RRULE" in event)
    override = next(event for event in raw if "RECURRENCE-ID" in event)
    assert master["RRULE"]["FREQ"] == ["WEEKLY"] and master["ATTENDEE"].params["ROLE"] == "CHAIR"
    assert master["DTSTART"].dt < now
    skipped = master["EXDATE"].dts[0].dt
    moved = override["RECURRENCE-ID"].dt
    assert now < skipped < moved < now + timedelta(days=40)
    series = {
        _start(event).date(): event for event in _expand(feed, now) if event["SUMMARY"] == RUST
    }
    assert skipped.date() not in series
    assert skipped.date() - timedelta(weeks=1) in series
    occurrence = series[moved.date()]
    assert _start(occurrence) == moved + timedelta(hours=1)
    assert occurrence["LOCATION"] == override["LOCATION"] != master["LOCATION"]
    others = [_start(event).time() for day, event in series.items() if day != moved.date()]
    assert set(others) == {time(19)}


def test_google_all_day_conference_and_html_description() -> None:
    feed = _feeds(NOW)["berlin-tech-community-google"]
    calendar = _calendar(feed)
    assert calendar["X-WR-CALNAME"] == "Berlin Tech Community"
    assert calendar["X-WR-TIMEZONE"] == "Europe/Berlin"
    conference = [event for event in _expand(feed, NOW) if event["SUMMARY"] != RUST]
    assert len(conference) == 1
    start, end = conference[0]["DTSTART"].dt, conference[0]["DTEND"].dt
    assert type(start) is date and end - start == timedelta(days=2)
    html = str(conference[0]["DESCRIPTION"])
    assert "<b>" in html and "<br>" in html and "&amp;" in html


def test_same_now_gives_identical_bytes() -> None:
    assert build_feeds(NOW) == build_feeds(NOW)
    assert build_feeds(NOW) == build_feeds(NOW.astimezone(BERLIN))
    assert build_feeds(NOW.replace(tzinfo=None)) == build_feeds(NOW)


def test_a_later_now_shifts_the_dates() -> None:
    later = NOW + timedelta(days=7)
    assert build_feeds(later) != build_feeds(NOW)
    for slug in _feeds(NOW):
        before = {
            (e["UID"], e["SUMMARY"]): _start(e) for e in _calendar(_feeds(NOW)[slug]).walk("VEVENT")
        }
        after = {
            (e["UID"], e["SUMMARY"]): _start(e)
            for e in _calendar(_feeds(later)[slug]).walk("VEVENT")
        }
        assert before.keys() == after.keys()
        for key, start in before.items():
            assert after[key].astimezone(BERLIN).date() - start.astimezone(BERLIN).date() == (
                timedelta(days=7)
            ), key
