"""schema.org microdata: `itemscope itemtype=".../Event"` (and every Event subtype) to raw events.

Also home to the small text helpers the other HTML readers share (`one_line`, `join_address`,
`looks_online`, `attr`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import Tag

from scrapers.model import Person, RawEvent
from scrapers.page import Page
from scrapers.when import parse_when

_EVENT_TYPES = r"(?:\w*Event|Festival|Hackathon|CourseInstance|EventSeries)"
# Cheap test on the raw text: is there any schema.org Event-ish itemtype at all?
_MARKER = re.compile(r"itemtype\s*=\s*[\"']?[^\"'>]*?schema\.org/" + _EVENT_TYPES + r"\b", re.I)
_TYPE = re.compile(r"^https?://(?:www\.)?schema\.org/" + _EVENT_TYPES + r"$", re.I)
_STATUS = {
    "eventcancelled": "cancelled",
    "eventpostponed": "postponed",
    "eventrescheduled": "rescheduled",
    "eventscheduled": "scheduled",
}
_ONLINE = re.compile(
    r"(?:online|virtual|zoom|webinar|livestream|live stream|google meet|(?:microsoft )?teams|jitsi"
    r"|youtube|twitch)(?:\s+(?:event|meeting|call|session|only|webinar|stream|link))?"
    r"(?:\s+(?:via|on)\s+[\w ]+)?(?:\s*\(.*\))?",
    re.I,
)
_URL_TAGS = {
    "a": "href",
    "area": "href",
    "link": "href",
    "img": "src",
    "audio": "src",
    "video": "src",
    "source": "src",
    "embed": "src",
    "iframe": "src",
    "track": "src",
    "object": "data",
}


def one_line(text: str | None) -> str:
    """`text` with runs of whitespace collapsed to one space, stripped."""
    return " ".join((text or "").split())


def attr(tag: Tag, name: str) -> str | None:
    """A single-valued attribute as a string, or None."""
    value = tag.get(name)
    return value if isinstance(value, str) else None


def join_address(parts: list[str | None]) -> str | None:
    """'street, postal locality, region, country' from parts in that order (postal and locality as
    two parts); empty parts and parts the text already contains are left out."""
    kept: list[str] = []
    for index, part in enumerate(one_line(p) for p in parts):
        if not part or re.search(rf"(?<!\w){re.escape(part)}(?!\w)", ", ".join(kept), re.I):
            continue
        if index == 2 and kept and kept[-1] == one_line(parts[1]):  # postal code + locality
            kept[-1] = f"{kept[-1]} {part}"
        else:
            kept.append(part)
    return ", ".join(kept) or None


def looks_online(text: str | None) -> bool:
    """A place that is really an online meeting ("Online", "Zoom", "Microsoft Teams")."""
    place = one_line(text)
    return bool(_ONLINE.fullmatch(place)) or place.startswith(("http://", "https://"))


@dataclass
class Item:
    """One microdata item: its types and its own properties (never those of nested items)."""

    tag: Tag
    types: list[str]
    props: dict[str, list[Tag]] = field(default_factory=dict)

    def first(self, name: str) -> Tag | None:
        found = self.props.get(name)
        return found[0] if found else None

    def is_a(self, *names: str) -> bool:
        return any(t.rstrip("/").rsplit("/", 1)[-1].lower() in names for t in self.types)


def read(page: Page) -> list[RawEvent]:
    """Every schema.org Event item on the page that is not nested in another event."""
    if not any(mark in page.text for mark in ("itemscope", "itemScope", "ITEMSCOPE")):
        return []  # cheap: no microdata at all, and no soup built
    if not _MARKER.search(page.text):
        return []
    events: list[RawEvent] = []
    for tag in page.soup.find_all(True, attrs={"itemscope": True, "itemtype": True}):
        if not isinstance(tag, Tag) or not _is_event(tag) or _inside_event(tag):
            continue
        event = _event(page, item_of(tag), len(events))
        if event is not None:
            events.append(event)
    return events


def _is_event(tag: Tag) -> bool:
    return any(_TYPE.match(t) for t in tag.get_attribute_list("itemtype") if t)


def _inside_event(tag: Tag) -> bool:
    return any(_is_event(p) for p in tag.parents if p.has_attr("itemscope"))


def item_of(tag: Tag) -> Item:
    """The item `tag` starts, with the properties that belong to it (nested items stop the walk)."""
    item = Item(tag, [t for t in tag.get_attribute_list("itemtype") if t])
    stack = list(reversed([c for c in tag.children if isinstance(c, Tag)]))
    while stack:
        child = stack.pop()
        for name in child.get_attribute_list("itemprop"):
            for prop in (name or "").split():
                item.props.setdefault(prop.rsplit("/", 1)[-1], []).append(child)
        if not child.has_attr("itemscope"):
            stack.extend(reversed([c for c in child.children if isinstance(c, Tag)]))
    return item


def value(tag: Tag | None) -> str:
    """A property's value: `content`, `datetime`, a link's target, else its text (one line)."""
    if tag is None:
        return ""
    for name in ("content", "datetime"):
        if attr(tag, name) is not None:
            return one_line(attr(tag, name))
    if tag.name in _URL_TAGS:
        return (attr(tag, _URL_TAGS[tag.name]) or "").strip()
    if tag.name in ("data", "meter"):
        return one_line(attr(tag, "value"))
    return one_line(tag.get_text(" "))


def _nested(tag: Tag | None) -> Item | None:
    return item_of(tag) if tag is not None and tag.has_attr("itemscope") else None


def _event(page: Page, item: Item, index: int) -> RawEvent | None:
    title = value(item.first("name"))
    start = parse_when(value(item.first("startDate")))
    if start is None:
        page.notes.append(f"microdata: event {title or index!r} skipped, no readable start date")
        return None
    url = page.absolute(value(item.first("url")))
    event = RawEvent(
        uid=url or f"{page.url or ''}#event-{index}",
        title=title,
        start=start,
        end=parse_when(value(item.first("endDate"))),
        description=_description(item),
        url=url,
        image=_image(page, item.first("image")),
        price=_price(item),
        status=_STATUS.get(value(item.first("eventStatus")).rsplit("/", 1)[-1].lower()),
        attendance=_mode(value(item.first("eventAttendanceMode"))),
        categories=[k.strip() for k in value(item.first("keywords")).split(",") if k.strip()],
        confidence=1.0,
        reader="microdata",
    )
    kinds = {_add_place(page, event, place) for place in item.props.get("location", [])}
    if "online" in kinds:
        event.attendance = "hybrid" if "in_person" in kinds else "online"
    _add_people(page, event, item)
    return event


def _description(item: Item) -> str | None:
    tag = item.first("description")
    if tag is None or tag.has_attr("content"):
        return value(tag) or None
    return tag.decode_contents().strip() or None


def _image(page: Page, tag: Tag | None) -> str | None:
    nested = _nested(tag)
    if nested is not None:
        return page.absolute(value(nested.first("url") or nested.first("contentUrl")))
    return page.absolute(value(tag)) if tag is not None else None


def _mode(text: str) -> str | None:
    key = text.rsplit("/", 1)[-1].lower()
    return {"onlineeventattendancemode": "online", "mixedeventattendancemode": "hybrid"}.get(key)


def _add_place(page: Page, event: RawEvent, tag: Tag) -> str | None:
    """Fill venue, address and lat/lon from one `location` value; tell what kind of place it is
    ("online", "in_person", or None when it cannot tell)."""
    place = _nested(tag)
    if place is None:
        text = value(tag)
        if looks_online(text):
            return "online"
        event.venue = event.venue or text or None
        return None
    if place.is_a("virtuallocation"):
        return "online"
    event.venue = event.venue or _place_name(place)
    event.address = event.address or _address(place)
    if event.lat is None:
        event.lat, event.lon = _geo(place)
    return "in_person"


def _place_name(place: Item) -> str | None:
    if place.is_a("postaladdress"):
        return None
    name = value(place.first("name"))
    link = place.first("url")
    if not name and link is not None and link.name == "a":  # <a itemprop="url">Venue name</a>
        name = one_line(link.get_text(" "))
    return name or None


def _address(place: Item) -> str | None:
    tag = place if place.is_a("postaladdress") else None
    address = tag or _nested(place.first("address"))
    if address is None:
        return value(place.first("address")) or None
    parts = [
        value(address.first(name))
        for name in (
            "streetAddress",
            "postalCode",
            "addressLocality",
            "addressRegion",
            "addressCountry",
        )
    ]
    return join_address(list(parts))


def _geo(place: Item) -> tuple[float | None, float | None]:
    geo = _nested(place.first("geo")) or place
    try:
        lat, lon = float(value(geo.first("latitude"))), float(value(geo.first("longitude")))
    except ValueError:
        return None, None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else (None, None)


def _add_people(page: Page, event: RawEvent, item: Item) -> None:
    for prop, role in (
        ("organizer", "organizer"),
        ("performer", "performer"),
        ("attendee", "attendee"),
    ):
        for tag in item.props.get(prop, []):
            nested = _nested(tag)
            name = value(nested.first("name")) if nested else value(tag)
            url = page.absolute(value(nested.first("url"))) if nested else None
            if not name:
                continue
            if role == "organizer" and name not in event.organizers:
                event.organizers.append(name)
            event.people.append(Person(name, role, url))


def _price(item: Item) -> str | None:
    """ "free", "USD 13.00", "$35", "EUR 10–25" from the first offer that says anything."""
    for tag in item.props.get("offers", []):
        offer = _nested(tag)
        if offer is None:
            if value(tag):
                return value(tag)
            continue
        found = _offer_price(offer)
        if found:
            return found
    free = value(item.first("isAccessibleForFree")).lower()
    return "free" if free in ("true", "yes", "1") else None


def _offer_price(offer: Item) -> str | None:
    currency = value(offer.first("priceCurrency"))
    low, high = value(offer.first("lowPrice")), value(offer.first("highPrice"))
    amount = value(offer.first("price")) or (f"{low}–{high}" if low and high else low or high)
    if not amount:
        return None
    if re.fullmatch(r"0+(?:[.,]0+)?|free", amount, re.I):
        return "free"
    if currency and not re.search(r"[^\d.,–\s-]", amount):  # a bare number: add its currency
        return f"{currency} {amount}"
    return amount
