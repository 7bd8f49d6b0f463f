"""JSON-LD reader: the schema.org Events in a page's `application/ld+json` blocks.

Blocks are cut from the page's text with a regular expression, never from a parsed tree (on a heavy
page the tree costs far more than the JSON). Decoding forgives what real pages hold: comment and
CDATA wrappers, trailing commas, raw control characters, HTML-escaped JSON, concatenated objects.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from functools import partial
from typing import Any

from scrapers import schema
from scrapers.model import RawEvent
from scrapers.page import Page
from scrapers.schema import objects, text, types
from scrapers.when import parse_when

_MARK = re.compile(r"\+[jJ][sS][oO][nN]")  # a literal first character: scans like str.find
_OPEN = re.compile(
    r"""<script\b[^>]*?(?<![\w-])type\s*=\s*["']?\s*application/ld\+json\b[^>]*>""", re.I
)
_CLOSE = re.compile(r"</script\s*>", re.I)
_HEAD = re.compile(r"\A(?:\s*(?://|/\*)?\s*(?:<!--|<!\[CDATA\[)\s*(?:\*/)?)+")
_TAIL = re.compile(r"(?:(?://|/\*)?\s*(?:-->|\]\]>)\s*(?:\*/)?\s*)+$")
_GAP = " \t\r\n\f,;"  # between concatenated objects
_TRAILING_COMMA = re.compile(r'("(?:[^"\\]|\\.)*")|,(\s*[}\]])', re.S)
_DECODER = json.JSONDecoder(strict=False)  # strict=False: raw control characters in strings

# fmt: off
EVENT_TYPES = frozenset((
    "Event", "BusinessEvent", "ChildrensEvent", "ComedyEvent", "CourseInstance", "DanceEvent",
    "DeliveryEvent", "EducationEvent", "EventSeries", "ExhibitionEvent", "Festival", "FoodEvent",
    "Hackathon", "LiteraryEvent", "MusicEvent", "PublicationEvent", "SaleEvent", "ScreeningEvent",
    "SocialEvent", "SportsEvent", "TheaterEvent", "VisualArtsEvent",
))
# fmt: on


def blocks(page: Page) -> list[Any]:
    """The decoded JSON of every readable `application/ld+json` block, one item per JSON value
    (a block of several concatenated objects gives several)."""
    return _decoded(page, notes=False)


def read(page: Page) -> list[RawEvent]:
    """Every Event on the page, from its JSON-LD; unreadable blocks and events are noted."""
    values = _decoded(page, notes=True)
    events: list[RawEvent] = []
    for node in _event_nodes(values) if values else []:
        try:
            event = _event(node, page)
        except RecursionError:  # values nested a thousand deep: hostile or broken
            event = None
        if event is None:
            name = text(node.get("name"))
            if not node.get("subEvent"):  # a series that only holds its occurrences is no loss
                page.notes.append(f"skipped a JSON-LD event without a start: {name!r}")
        elif event not in events:  # the same object twice (embedded and in @graph)
            events.append(event)
    _identify(events, page)
    return events


def links(page: Page) -> list[str]:
    """Event pages listed by an ItemList whose items carry no event data (a listing page)."""
    found: list[str] = []
    for node in _walk(_decoded(page, notes=False)):
        if "ItemList" not in types(node):
            continue
        items = [_unwrapped(i) for i in objects(node.get("itemListElement"))]
        if any(types(item) & EVENT_TYPES for item in items if isinstance(item, dict)):
            continue
        for item in items:
            url = _absolute(page, _item_url(item))
            if url and url not in found:
                found.append(url)
    return found


def decode(text: str) -> list[Any]:
    """The JSON values in one block's text, repaired as far as needed; ValueError if none works."""
    if text.lstrip()[:1] not in ("{", "["):
        text = _HEAD.sub("", text, count=1)
    if text.rstrip()[-1:] not in ("}", "]"):
        text = _TAIL.sub("", text)
    try:
        return _values(text)
    except ValueError as exc:
        first = exc
    for repair in (_drop_trailing_commas, lambda t: _drop_trailing_commas(html.unescape(t))):
        try:
            return _values(repair(text))
        except ValueError:
            continue
    raise first


def _decoded(page: Page, notes: bool) -> list[Any]:
    values: list[Any] = []
    for number, block in enumerate(_scripts(page.text), 1):
        try:
            values.extend(decode(block))
        except (ValueError, RecursionError) as exc:
            if notes:
                page.notes.append(f"skipped a JSON-LD block: {exc} (block {number})")
    return values


def _scripts(text: str) -> Iterator[str]:
    """The text of each `<script type="application/ld+json">`: found from its `+json`, which
    str-like scanning finds fast, never by trying a tag pattern at every `<` of a heavy page."""
    end = 0
    for mark in _MARK.finditer(text):
        if mark.start() < end or text[mark.start() - 2 : mark.start()].lower() != "ld":
            continue
        start = text.rfind("<", end, mark.start())
        tag = _OPEN.match(text, start) if start >= 0 else None
        close = _CLOSE.search(text, tag.end()) if tag else None
        if tag and close:
            end = close.end()
            yield text[tag.end() : close.start()]


def _values(text: str) -> list[Any]:
    values: list[Any] = []
    text = text.strip(_GAP)
    position = 0
    while position < len(text):
        value, position = _DECODER.raw_decode(text, position)
        values.append(value)
        position = len(text) - len(text[position:].lstrip(_GAP))
    return values


def _drop_trailing_commas(text: str) -> str:
    return _TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), text)


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every object in the JSON tree in document order, once each (no recursion, however deep),
    not climbing from an event up to its superEvent."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict) and id(item) not in seen:
            seen.add(id(item))
            yield item
            inner = [v for k, v in item.items() if k != "superEvent" and isinstance(v, dict | list)]
            stack.extend(reversed(inner))


def _event_nodes(values: list[Any]) -> list[dict[str, Any]]:
    """The Event objects, their `{"@id": ...}` references to objects elsewhere resolved."""
    nodes = list(_walk(values))
    known = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str) and len(n) > 1}
    for node in nodes if known else []:
        for key, value in node.items():
            if isinstance(value, list):
                node[key] = [known.get(_ref(v)) or v for v in value]
            else:
                node[key] = known.get(_ref(value)) or value
    return [n for n in nodes if types(n) & EVENT_TYPES]


def _ref(value: Any) -> str:
    """The @id an `{"@id": ...}` reference points to, else ""."""
    ref = value.get("@id") if isinstance(value, dict) and len(value) == 1 else None
    return ref if isinstance(ref, str) else ""


def _unwrapped(item: Any) -> Any:
    """A ListItem's `item` when that is an object, else the list element itself."""
    return item["item"] if isinstance(item, dict) and isinstance(item.get("item"), dict) else item


def _item_url(item: Any) -> Any:
    if isinstance(item, str):
        return item
    if not isinstance(item, dict) or types(item) - {"ListItem", "WebPage", "Thing"}:
        return None  # a Product, an Article...: not an event page
    return text(item.get("url")) or text(item.get("item")) or text(item.get("@id"))


def _event(node: dict[str, Any], page: Page) -> RawEvent | None:
    start = parse_when(text(node.get("startDate")))
    if start is None:
        return None
    place = schema.location(node.get("location"))
    mode = schema.attendance(node.get("eventAttendanceMode"), node.get("eventStatus"))
    resolve = partial(_absolute, page)
    people = schema.people(node.get("organizer"), "organizer", resolve)
    people += schema.people(node.get("performer"), "performer", resolve)
    return RawEvent(
        uid=text(node.get("@id")) or "",  # the final uid is set by _identify
        title=text(node.get("name")) or "",
        start=start,
        end=parse_when(text(node.get("endDate"))),
        description=text(node.get("description")),
        url=_absolute(page, text(node.get("url"))),
        image=_absolute(page, text(node.get("image"), ("url", "contentUrl"))),
        venue=place.venue,
        address=place.address,
        lat=place.lat,
        lon=place.lon,
        attendance=mode or place.kind,
        status=schema.status(node.get("eventStatus")),
        organizers=schema.organizers(people),
        people=people,
        categories=_keywords(node.get("keywords")),
        price=schema.price(node.get("offers"), node.get("isAccessibleForFree")),
        reader="jsonld",
    )


def _identify(events: list[RawEvent], page: Page) -> None:
    """uid: the event's url, else its @id, else `page#event-n`, unique on the page; a lone event
    without a url has the page's."""
    for number, event in enumerate(events, 1):
        given = "" if event.uid.startswith("_:") else event.uid  # blank nodes change per render
        uid = event.url or _absolute(page, given) or given or f"{page.url or ''}#event-{number}"
        if any(e.uid == uid for e in events[: number - 1]):
            uid = f"{uid}#{event.start.isoformat()}"
        event.uid = uid
    if len(events) == 1 and not events[0].url:
        events[0].url = page.url


def _absolute(page: Page, href: Any) -> str | None:
    """`href` resolved against the page; an absolute one as it is (no <base> lookup needed)."""
    if isinstance(href, str) and href.startswith(("https://", "http://")):
        return href.strip()
    return page.absolute(href)


def _keywords(value: Any) -> list[str]:
    words = value.split(",") if isinstance(value, str) else objects(value)
    return list(dict.fromkeys(t for t in map(text, words) if t))
