"""Microformats: `h-event` (microformats2) and hCalendar `vevent` (microformats 1) to raw events,
with nested h-card/vcard and h-adr/adr venues, geo, attendees and organizers.

Only the exact class tokens `h-event` and `vevent` start an event: CSS utility classes that merely
begin with `h-` (`h-full`, `h-hidden-phone`) are neither events nor nested items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from lxml.html import HtmlElement

from scrapers import schema
from scrapers.model import Person, RawEvent
from scrapers.page import Node, Page, attr, inner_html, inner_text
from scrapers.schema import join_address, looks_online, one_line
from scrapers.when import end_of, join_parts, parse_when

_MARKER = re.compile(
    r"""class\s*=\s*(?:"[^"]*|'[^']*|)(?<![\w-])(?:h-event|vevent)(?![\w-])""", re.I
)
_MF2_PROP = re.compile(r"^(p|u|dt|e)-([a-z0-9]+(?:-[a-z0-9]+)*)$")
_MF1_KINDS = {"dtstart": "dt", "dtend": "dt", "url": "u", "photo": "u", "description": "e"}
# Candidates by substring, kept when a class token is exactly the name:
_ROOTS = etree.XPath("//*[contains(@class, $name)]")
_VALUES = etree.XPath(".//*[contains(@class, 'value')]")
# fmt: off
_URL_ATTRS = {"a": "href", "area": "href", "link": "href", "img": "src", "audio": "src",
              "video": "src", "source": "src", "object": "data"}
_STATUS = {"cancelled": "cancelled", "canceled": "cancelled", "postponed": "postponed",
           "rescheduled": "rescheduled", "confirmed": "scheduled"}
_ROLES = ("organizer", "speaker", "performer", "attendee")
_ADR = ("street-address", "postal-code", "locality", "region", "country-name")
# Where p-* and value-class parts read an element's value from, by element name:
_PLAIN = (("abbr", "title"), ("data", "value"), ("input", "value"), ("img", "alt"), ("area", "alt"))
_PART = ((("time", "ins", "del"), "datetime"), (("abbr",), "title"), (("data", "input"), "value"),
         (("img", "area"), "alt"))
# fmt: on

# property name -> (kind p|u|dt|e, element), in document order
Props = dict[str, list[tuple[str, HtmlElement]]]


@dataclass(frozen=True)
class Syntax:
    """What differs between microformats2 and microformats 1."""

    reader: str
    root: str
    roots: frozenset[str]  # class tokens that start a nested item (whose properties stay its own)
    title: str
    start: str
    end: str
    card_name: str
    descriptions: tuple[str, ...]

    def properties(self, classes: list[str]) -> list[tuple[str, str]]:
        if self.reader == "hevent":
            found = (_MF2_PROP.match(c) for c in classes)
            return [(m.group(1), m.group(2)) for m in found if m]
        return [(_MF1_KINDS.get(c, "p"), c) for c in classes]


# fmt: off
MF2 = Syntax(
    "hevent", "h-event",
    frozenset(("h-adr", "h-card", "h-cite", "h-entry", "h-event", "h-feed", "h-geo", "h-item",
               "h-listing", "h-product", "h-recipe", "h-resume", "h-review", "h-review-aggregate")),
    "name", "start", "end", "name", ("description", "content", "summary"),
)
MF1 = Syntax(
    "hcalendar", "vevent",
    frozenset(("vcard", "adr", "geo", "vevent", "vcalendar", "hentry", "hfeed", "hreview",
               "hrecipe", "hproduct", "hresume")),
    "summary", "dtstart", "dtend", "fn", ("description",),
)
# fmt: on


def read(page: Page) -> list[RawEvent]:
    """Every h-event and hCalendar vevent on the page (events nested in events are left out)."""
    if ("h-event" not in page.text and "vevent" not in page.text) or not _MARKER.search(page.text):
        return []
    events: list[RawEvent] = []
    for syntax in (MF2, MF1):
        for root in _with_class(page.tree, syntax.root):
            if _skip(root, syntax):
                continue
            event = _event(page, root, syntax, len(events))
            if event is not None:
                events.append(event)
    return events


def classes(tag: Node) -> list[str]:
    """The element's class tokens (of an lxml element, or of a BeautifulSoup tag)."""
    found = tag.get("class")
    if isinstance(found, str):
        return found.split()
    return [c for c in found if isinstance(c, str)] if isinstance(found, list) else []


def _with_class(tree: HtmlElement, name: str) -> list[HtmlElement]:
    """The tree's elements with the class token `name`, in document order."""
    return [e for e in _ROOTS(tree, name=name) if name in classes(e)]


def _value_parts(tag: HtmlElement) -> list[HtmlElement]:
    """The descendants of class `value` or `value-title` (the value-class pattern)."""
    return [v for v in _VALUES(tag) if {"value", "value-title"}.intersection(classes(v))]


def _skip(root: HtmlElement, syntax: Syntax) -> bool:
    """mf1 roots that are also h-event (read as mf2), and events nested in events."""
    if syntax is MF1 and "h-event" in classes(root):
        return True
    return any({"h-event", "vevent"} & set(classes(p)) for p in root.iterancestors())


def _children(tag: HtmlElement) -> list[HtmlElement]:
    return list(tag.iterchildren(etree.Element, reversed=True))


def collect(root: HtmlElement, syntax: Syntax) -> Props:
    """The root's own properties, in document order; nested items keep theirs."""
    found: Props = {}
    stack = _children(root)
    while stack:
        child = stack.pop()
        tokens = classes(child)
        for kind, name in syntax.properties(tokens):
            found.setdefault(name, []).append((kind, child))
        if not syntax.roots.intersection(tokens):
            stack.extend(_children(child))
    return found


def _first(props: Props, *names: str) -> tuple[str, HtmlElement] | None:
    return next((props[n][0] for n in names if props.get(n)), None)


def text_of(props: Props, *names: str, page: Page | None = None) -> str:
    """The first of `names` that is present, as its kind says (p/u/dt/e)."""
    found = _first(props, *names)
    return prop_value(found[0], found[1], page) if found else ""


def prop_value(kind: str, tag: HtmlElement, page: Page | None = None) -> str:
    if kind == "e":
        return inner_html(tag).strip()
    if kind == "dt":
        return dt_value(tag)
    if kind == "u":
        link = attr(tag, _URL_ATTRS[tag.tag]) if tag.tag in _URL_ATTRS else None
        url = link if link is not None else _plain(tag)
        return (page.absolute(url) if page else url) or ""
    return _plain(tag)


def _plain(tag: HtmlElement) -> str:
    """p-* parsing: value-class parts, else abbr[title], data/input[value], img[alt], text."""
    parts = [_part(v) for v in _value_parts(tag)]
    if parts:
        return one_line(" ".join(parts))
    for name, attribute in _PLAIN:
        if tag.tag == name and attr(tag, attribute) is not None:
            return one_line(attr(tag, attribute))
    return inner_text(tag)


def _part(tag: HtmlElement) -> str:
    if "value-title" in classes(tag):
        return attr(tag, "title") or ""
    for names, attribute in _PART:
        if tag.tag in names and attr(tag, attribute) is not None:
            return attr(tag, attribute) or ""
    return inner_text(tag)


def dt_value(tag: HtmlElement) -> str:
    """dt-* parsing: the value-class pattern (date, time and zone parts), else datetime/title/value
    attributes, else text."""
    parts = [_part(v).strip() for v in _value_parts(tag)]
    if parts:
        return join_parts(parts)
    return _part(tag).strip()


def _event(page: Page, root: HtmlElement, syntax: Syntax, index: int) -> RawEvent | None:
    props = collect(root, syntax)
    title = text_of(props, syntax.title)
    start = parse_when(text_of(props, syntax.start))
    if start is None:
        page.notes.append(f"{syntax.reader}: event {title or index!r} skipped, no readable start")
        return None
    url = text_of(props, "url", page=page) or None
    event = RawEvent(
        uid=url or f"{page.url or ''}#event-{index}",
        title=title,
        start=start,
        end=end_of(text_of(props, syntax.end), start),
        url=url,
        description=text_of(props, *syntax.descriptions) or None,
        image=text_of(props, "photo", "featured", page=page) or None,
        status=_STATUS.get(text_of(props, "status").lower()),
        categories=_categories(props, syntax),
        confidence=1.0,
        reader=syntax.reader,
    )
    for _, tag in props.get("location", [])[:1]:
        _add_location(event, tag, syntax)
    _add_people(page, event, props, syntax)
    return event


def _nested(tag: HtmlElement, syntax: Syntax) -> Props | None:
    return collect(tag, syntax) if syntax.roots.intersection(classes(tag)) else None


def _name(tag: HtmlElement, syntax: Syntax) -> str:
    """A nested card's name: its explicit name or org, else the element's own text."""
    props = _nested(tag, syntax)
    if props is None:
        return _plain(tag)
    return text_of(props, syntax.card_name, "org") or _plain(tag)


def _categories(props: Props, syntax: Syntax) -> list[str]:
    found: list[str] = []
    for _, tag in props.get("category", []):
        name = _name(tag, syntax)
        if name and name not in found:
            found.append(name)
    return found


def _add_location(event: RawEvent, tag: HtmlElement, syntax: Syntax) -> None:
    props = _nested(tag, syntax)
    if props is None:
        text = _plain(tag)
        event.venue = text or None
        event.attendance = "online" if looks_online(text) else None
        return
    kinds = set(classes(tag))
    if not kinds & {"h-adr", "adr", "h-geo", "geo"}:
        event.venue = text_of(props, syntax.card_name, "org") or None
    adr = _nested_prop(props, "adr", syntax) or props
    event.address = join_address([text_of(adr, name) for name in _ADR])
    event.lat, event.lon = _geo(_nested_prop(props, "geo", syntax) or props, props)


def _nested_prop(props: Props, name: str, syntax: Syntax) -> Props | None:
    found = _first(props, name)
    return _nested(found[1], syntax) if found else None


def _geo(geo: Props, card: Props) -> tuple[float | None, float | None]:
    """latitude/longitude properties, or a geo value written 'lat;lon'."""
    lat, lon = text_of(geo, "latitude"), text_of(geo, "longitude")
    if not (lat and lon):
        lat, _, lon = text_of(card, "geo").partition(";")
    return schema.coordinates(lat, lon)


def _add_people(page: Page, event: RawEvent, props: Props, syntax: Syntax) -> None:
    for role in _ROLES:
        for _, tag in props.get(role, []):
            name = _name(tag, syntax)
            if not name:
                continue
            card = _nested(tag, syntax)
            link = text_of(card, "url", page=page) if card else ""
            if not link and tag.tag == "a":
                link = page.absolute(attr(tag, "href")) or ""
            event.people.append(Person(name, role, link or None))
    event.organizers = schema.organizers(event.people)
