"""The place tells the zone: floating times and zone-less days take the zone of their city."""

from __future__ import annotations

from datetime import UTC, date, datetime

from planner.geocode import zone_events
from planner.normalize import normalize_event
from scrapers import RawEvent


def event(start: object, address: str | None, **extra: object):
    return normalize_event(
        RawEvent(uid="u1", title="Hack night", start=start, address=address, **extra)
    )  # type: ignore[arg-type]


def test_floating_time_becomes_an_instant_in_the_citys_zone() -> None:
    floating = event(datetime(2016, 4, 21, 20, 0), "Philadelphia, PA")
    before = floating.fingerprint
    zone_events([floating])
    assert floating.timezone == "America/New_York" and not floating.floating
    assert floating.start == datetime(2016, 4, 22, 0, 0, tzinfo=UTC)
    assert floating.fingerprint != before  # now the same event as a zoned feed's copy


def test_a_zone_given_by_the_source_is_kept() -> None:
    zoned = event(datetime(2016, 4, 21, 20, 0, tzinfo=UTC), "Philadelphia, PA", timezone="UTC")
    zone_events([zoned])
    assert zoned.timezone == "UTC" and zoned.start.hour == 20


def test_days_learn_their_zone_and_unknown_places_change_nothing() -> None:
    day = event(date(2024, 4, 22), "Berlin, Germany")
    nowhere = event(datetime(2016, 4, 21, 20, 0), "The Hi-Dive back room")
    online = event(datetime(2016, 4, 21, 20, 0), "Berlin, Germany", attendance="online")
    zone_events([day, nowhere, online])
    assert day.timezone == "Europe/Berlin" and day.all_day
    assert nowhere.floating and nowhere.timezone is None
    assert online.floating and online.timezone is None
