"""The place tells the time zone: an event whose source gives wall-clock times (or days) without a
zone gets the zone of the city in its address, from the offline gazetteer. Nothing is guessed from
a venue name that names no city, and nothing here touches the network."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from zoneinfo import ZoneInfo

from planner.geo import Gazetteer, Place
from planner.normalize import EventFields, fingerprint


def zone_events(events: Iterable[EventFields], gazetteer: Gazetteer | None = None) -> None:
    """Give floating and all-day events without a zone the zone of their city, in place."""
    found: dict[str, Place | None] = {}
    for event in events:
        text = _place_text(event)
        if text is None:
            continue
        gazetteer = gazetteer or Gazetteer()
        if text not in found:
            found[text] = gazetteer.locate(text)
        place = found[text]
        if place is not None and place.timezone:
            _settle(event, place.timezone)


def _place_text(event: EventFields) -> str | None:
    if event.timezone or not (event.floating or event.all_day) or event.attendance == "online":
        return None
    return event.address or event.venue


def _settle(event: EventFields, zone_name: str) -> None:
    """Floating times become instants in the zone; all-day events only learn their zone."""
    event.timezone = zone_name
    if event.floating:
        zone = ZoneInfo(zone_name)
        event.start = event.start.replace(tzinfo=zone).astimezone(UTC)
        if event.end is not None:
            event.end = event.end.replace(tzinfo=zone).astimezone(UTC)
        event.floating = False
    event.fingerprint = fingerprint(event)
