"""schema.org microdata: `itemscope itemtype=".../Event"` (and every Event subtype) to raw events.

Items are read from the page's lxml tree. An event's nested items (its location, offers, people)
become the objects JSON-LD would hold for them, so `scrapers.schema` reads both markups alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from scrapers import schema
from scrapers.model import RawEvent
from scrapers.page import Page, attr, inner_html, inner_text
from scrapers.schema import looks_online as looks_online  # the heuristic reader imports it here
from scrapers.schema import one_line
from scrapers.when import parse_when

_EVENT_TYPES = r"(?:\w*Event|Festival|Hackathon|CourseInstance|EventSeries)"
# Cheap test on the raw text: is there any schema.org Event-ish itemtype at all?
_MARKER = re.compile(r"itemtype\s*=\s*[\"']?[^\"'>]*?schema\.org/" + _EVENT_TYPES + r"\b", re.I)
_TYPE = re.compile(r"^https?://(?:www\.)?schema\.org/" + _EVENT_TYPES + r"$", re.I)
_ITEMS = etree.XPath("//*[@itemscope][@itemtype]")
_DEPTH = 4  # nested items deeper than this (a location's address's country) are read as text
_ROLES = ("organizer", "performer", "attendee")
# fmt: off
_URL_TAGS = {"a": "href", "area": "href", "link": "href", "img": "src", "audio": "src",
             "video": "src", "source": "src", "embed": "src", "iframe": "src", "track": "src",
             "object": "data"}
# fmt: on


@dataclass
class Item:
    """One microdata item: its types and its own properties (never those of nested items)."""

    tag: HtmlElement
    types: list[str]
    props: dict[str, list[HtmlElement]] = field(default_factory=dict)

    def first(self, name: str) -> HtmlElement | None:
        found = self.props.get(name)
        return found[0] if found else None


def read(page: Page) -> list[RawEvent]:
    """Every schema.org Event item on the page that is not nested in another event."""
    if not any(mark in page.text for mark in ("itemscope", "itemScope", "ITEMSCOPE")):
        return []  # cheap: no microdata at all, and no tree built
    if not _MARKER.search(page.text):
        return []
    events: list[RawEvent] = []
    for tag in _ITEMS(page.tree):
        if not _is_event(tag) or _inside_event(tag):
            continue
        event = _event(page, item_of(tag), len(events))
        if event is not None:
            events.append(event)
    return events


def _is_event(tag: HtmlElement) -> bool:
    return _TYPE.match(tag.get("itemtype") or "") is not None


def _inside_event(tag: HtmlElement) -> bool:
    return any(_is_event(p) for p in tag.iterancestors() if p.get("itemscope") is not None)


def item_of(tag: HtmlElement) -> Item:
    """The item `tag` starts, with the properties that belong to it (nested items stop the walk)."""
    item = Item(tag, [tag.get("itemtype")] if tag.get("itemtype") else [])
    stack = list(tag.iterchildren(etree.Element, reversed=True))
    while stack:
        child = stack.pop()
        for prop in (child.get("itemprop") or "").split():
            item.props.setdefault(prop.rsplit("/", 1)[-1], []).append(child)
        if child.get("itemscope") is None:
            stack.extend(child.iterchildren(etree.Element, reversed=True))
    return item


def value(tag: HtmlElement | None) -> str:
    """A property's value: `content`, `datetime`, a link's target, else its text (one line)."""
    if tag is None:
        return ""
    for name in ("content", "datetime"):
        if attr(tag, name) is not None:
            return one_line(attr(tag, name))
    if tag.tag in _URL_TAGS:
        return (attr(tag, _URL_TAGS[tag.tag]) or "").strip()
    if tag.tag in ("data", "meter"):
        return one_line(attr(tag, "value"))
    return inner_text(tag)


def as_json(tag: HtmlElement, depth: int = _DEPTH) -> Any:
    """A property as JSON-LD holds it: a nested item as an object (`@type` and properties, one
    value or a list), else its value. An item without a name is named by its link's text
    (`<a itemprop="url" href="/venues/9">Venue name</a>`)."""
    if tag.get("itemscope") is None or depth == 0:
        return value(tag)
    item = item_of(tag)
    node: dict[str, Any] = {"@type": [t.rstrip("/").rsplit("/", 1)[-1] for t in item.types]}
    for name, tags in item.props.items():
        values = [as_json(t, depth - 1) for t in tags]
        node[name] = values[0] if len(values) == 1 else values
    link = item.first("url")
    if not schema.text(node.get("name")) and link is not None and link.tag == "a":
        node["name"] = inner_text(link)
    return node


def _event(page: Page, item: Item, index: int) -> RawEvent | None:
    title = value(item.first("name"))
    start = parse_when(value(item.first("startDate")))
    if start is None:
        page.notes.append(f"microdata: event {title or index!r} skipped, no readable start date")
        return None
    url = page.absolute(value(item.first("url")))
    place = schema.location(_values(item, "location"))
    people = [p for role in _ROLES for p in schema.people(_values(item, role), role, page.absolute)]
    return RawEvent(
        uid=url or f"{page.url or ''}#event-{index}",
        title=title,
        start=start,
        end=parse_when(value(item.first("endDate"))),
        description=_description(item),
        url=url,
        image=page.absolute(schema.text(_values(item, "image")[:1], ("url", "contentUrl"))),
        venue=place.venue,
        address=place.address,
        lat=place.lat,
        lon=place.lon,
        attendance=_attendance(item, place),
        status=schema.status(value(item.first("eventStatus"))),
        organizers=schema.organizers(people),
        people=people,
        categories=[k.strip() for k in value(item.first("keywords")).split(",") if k.strip()],
        price=schema.price(_offers(item), value(item.first("isAccessibleForFree"))),
        confidence=1.0,
        reader="microdata",
    )


def _values(item: Item, name: str) -> list[Any]:
    return [as_json(tag) for tag in item.props.get(name, [])]


def _description(item: Item) -> str | None:
    tag = item.first("description")
    if tag is None or tag.get("content") is not None:
        return value(tag) or None
    return inner_html(tag).strip() or None


def _attendance(item: Item, place: schema.Place) -> str | None:
    """Online or hybrid as the locations or the attendance mode say. Microdata claims no in-person
    attendance: normalize decides that from the venue."""
    if place.virtual:
        return place.kind
    mode = value(item.first("eventAttendanceMode"))
    found = schema.attendance(mode, value(item.first("eventStatus")))
    return None if found == "in_person" else found


def _offers(item: Item) -> list[dict[str, Any]]:
    """The item's offers as objects; an offer given as text is its price ("$35")."""
    offers = _values(item, "offers")
    return [o if isinstance(o, dict) else {"price": o} for o in offers]
