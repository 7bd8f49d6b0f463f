"""schema.org values, read the same way whichever markup held them: JSON-LD objects, and microdata
items turned into the same shape (`{"@type": ..., "name": ..., "address": {...}}`).

What an event's location, offers, status, attendance mode and people say, as RawEvent fields; and
the small text rules all HTML readers share (`one_line`, `join_address`, `looks_online`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scrapers.model import Person

_SCHEMA = re.compile(r"^(?:https?://schema\.org/|schema:)", re.I)
_ONLINE = re.compile(
    r"(?:online|virtual|zoom|webinar|livestream|live stream|google meet|(?:microsoft )?teams|jitsi"
    r"|youtube|twitch)(?:\s+(?:event|meeting|call|session|only|webinar|stream|link))?"
    r"(?:\s+(?:via|on)\s+[\w ]+)?(?:\s*\(.*\))?",
    re.I,
)
_PRICED = re.compile(r"[^\d.,–\s-]")  # a character that is no part of a bare amount
# fmt: off
_STATUS = {"eventcancelled": "cancelled", "eventpostponed": "postponed",
           "eventrescheduled": "rescheduled", "eventmovedonline": "scheduled",
           "eventscheduled": "scheduled"}
_ATTENDANCE = {"offlineeventattendancemode": "in_person", "onlineeventattendancemode": "online",
               "mixedeventattendancemode": "hybrid"}
_KINDS = {(True, False): "in_person", (False, True): "online", (True, True): "hybrid"}
_ADDRESS = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")
_PRICES = ("price", "lowPrice", "highPrice")
# fmt: on

Resolve = Callable[[str | None], str | None]  # a page's link resolver: relative to absolute


def text(value: Any, keys: tuple[str, ...] = ("@value", "name")) -> str | None:
    """A text value: the first of a list, an object's first `keys`, numbers as written."""
    if isinstance(value, list):
        return next((t for t in (text(v, keys) for v in value) if t), None)
    if isinstance(value, dict):
        return text(next((value[k] for k in keys if value.get(k)), None))
    if isinstance(value, bool) or value is None:
        return None
    return str(value).strip() or None


def objects(value: Any) -> list[Any]:
    """A value that may be one or several, as a list."""
    return value if isinstance(value, list) else [value] if value is not None else []


def types(node: dict[str, Any]) -> set[str]:
    """An object's `@type`s without their `https://schema.org/` or `schema:` prefix."""
    return {_SCHEMA.sub("", k) for k in objects(node.get("@type")) if isinstance(k, str)}


def keyword(value: Any) -> str:
    """`https://schema.org/EventCancelled` -> `EventCancelled`."""
    return (text(value) or "").rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def status(value: Any) -> str | None:
    """An `eventStatus` as RawEvent.status: cancelled, postponed, rescheduled or scheduled."""
    return _STATUS.get(keyword(value).lower())


def attendance(mode: Any, event_status: Any = None) -> str | None:
    """An `eventAttendanceMode` as RawEvent.attendance (in_person, online or hybrid); online
    whatever the mode when the `eventStatus` is EventMovedOnline."""
    if keyword(event_status).lower() == "eventmovedonline":
        return "online"
    return _ATTENDANCE.get(keyword(mode).lower())


def one_line(value: str | None) -> str:
    """`value` with runs of whitespace collapsed to one space, stripped."""
    return " ".join((value or "").split())


def looks_online(place: str | None) -> bool:
    """A place that is really an online meeting ("Online", "Zoom", "Microsoft Teams", a link)."""
    place = one_line(place)
    return bool(_ONLINE.fullmatch(place)) or place.startswith(("http://", "https://"))


def join_address(parts: list[str | None]) -> str | None:
    """'street, postal locality, region, country' from parts in that order (postal and locality as
    two parts); empty parts and parts the text already contains are left out (Meetup's street
    address ends with the city)."""
    kept: list[str] = []
    for index, part in enumerate(one_line(p) for p in parts):
        if not part or re.search(rf"(?<!\w){re.escape(part)}(?!\w)", ", ".join(kept), re.I):
            continue
        if index == 2 and kept and kept[-1] == one_line(parts[1]):  # postal code + locality
            kept[-1] = f"{kept[-1]} {part}"
        else:
            kept.append(part)
    return ", ".join(kept) or None


@dataclass
class Place:
    """What an event's `location` says: venue, address, coordinates, the kinds of places named."""

    venue: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    physical: bool = False
    virtual: bool = False

    @property
    def kind(self) -> str | None:
        """in_person, online or hybrid, as the places named are; None when none is."""
        return _KINDS.get((self.physical, self.virtual))


def location(value: Any) -> Place:
    """The places a `location` names: texts, Places (typed or not), addresses, coordinates,
    virtual locations; the first venue, address and coordinates given win."""
    place = Place()
    for item in objects(value):
        kinds = {k.lower() for k in types(item)} if isinstance(item, dict) else set()
        if isinstance(item, str) and item.strip():
            online = looks_online(item)
            place.virtual |= online
            place.physical |= not online
            place.venue = place.venue or (None if online else item.strip())
        elif not isinstance(item, dict):
            continue
        elif "virtuallocation" in kinds:
            place.virtual = True
        elif "postaladdress" in kinds or "geocoordinates" in kinds:
            place.physical = True
            place.address = place.address or address(item)
            _set_geo(place, item.get("geo") or item)
        else:  # a Place or one of its subtypes (EventVenue, LocalBusiness...)
            place.physical = True
            place.venue = place.venue or text(item.get("name"))
            place.address = place.address or address(item.get("address"))
            _set_geo(place, item.get("geo") or item)
    return place


def address(value: Any) -> str | None:
    """A PostalAddress as one line (see `join_address`), an address text as it is."""
    if isinstance(value, list):
        return next((a for a in map(address, value) if a), None)
    if not isinstance(value, dict):
        return text(value)
    return join_address([text(value.get(k)) for k in _ADDRESS])


def coordinates(lat: Any, lon: Any) -> tuple[float, float] | tuple[None, None]:
    """(latitude, longitude) as numbers when both are possible ones, else (None, None)."""
    try:
        north, east = float(lat), float(lon)
    except (TypeError, ValueError):
        return None, None
    return (north, east) if -90 <= north <= 90 and -180 <= east <= 180 else (None, None)


def _set_geo(place: Place, geo: Any) -> None:
    if place.lat is None and isinstance(geo, dict):
        place.lat, place.lon = coordinates(geo.get("latitude"), geo.get("longitude"))


def people(value: Any, role: str, resolve: Resolve) -> list[Person]:
    """The Persons and Organizations (or bare names) in `value`, in `role`."""
    found: list[Person] = []
    for item in objects(value):
        name = text(item)
        if isinstance(item, dict) and not name:
            name = " ".join(filter(None, (text(item.get(k)) for k in ("givenName", "familyName"))))
        if name:
            url = resolve(text(item.get("url"))) if isinstance(item, dict) else None
            found.append(Person(name=name, role=role, url=url))
    return found


def organizers(found: list[Person]) -> list[str]:
    """The organizers' names, once each."""
    return list(dict.fromkeys(p.name for p in found if p.role == "organizer"))


def price(offers: Any, free: Any = None) -> str | None:
    """Price text from `offers` (and `isAccessibleForFree`): "free", "USD 25", "EUR 10–25", else
    the amount as the page writes it ("$35")."""
    amounts: list[str] = []
    currency = None
    for offer in (o for o in objects(offers) if isinstance(o, dict)):
        specs = [s for s in objects(offer.get("priceSpecification")) if isinstance(s, dict)]
        for source in [offer, *specs]:
            currency = currency or text(source.get("priceCurrency"))
            amounts += filter(None, (_amount(source.get(k)) for k in _PRICES))
    if not amounts:
        return "free" if str(free).strip().lower() in ("true", "yes", "1") else None
    if all(_number(a) == 0 for a in amounts):
        return "free"
    ordered = sorted(dict.fromkeys(amounts), key=lambda a: _number(a) or 0)
    span = ordered[0] if len(ordered) == 1 else f"{ordered[0]}–{ordered[-1]}"
    return f"{currency} {span}" if currency and not _PRICED.search(span) else span


def _amount(value: Any) -> str | None:
    """An amount as written ("12.50", "$35"); a whole float without its ".0"; "Free" as "0"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    found = text(value)
    return "0" if found and found.casefold() == "free" else found


def _number(amount: str) -> float | None:
    amount = amount.replace(",", "") if "." in amount else amount.replace(",", ".")
    try:
        return float(re.sub(r"[^\d.]", "", amount))
    except ValueError:
        return None
