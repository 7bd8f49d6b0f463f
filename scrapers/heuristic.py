"""Pages with no structured data: a careful guess at the one event a page describes.

Title from og:title or the first h1; start and end from `<time datetime>` or from visible date text
in the title's block; place from the nearest labelled location or `<address>`. It yields nothing
unless the page looks like an event page, and it never takes a date from a notice (cookie banners,
"posted on"/"updated" lines, publication dates, footers, navigation). Confidence 0.5.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from bs4 import BeautifulSoup, NavigableString, Tag

from scrapers.microdata import attr, looks_online, one_line
from scrapers.microformats import classes
from scrapers.model import RawEvent
from scrapers.page import Page
from scrapers.visible_dates import dates_in, range_end, times_after
from scrapers.when import parse_when

_EVENTISH = re.compile(
    r"\b(?:when|date|time|location|venue|where|register|registration|rsvp|"
    r"tickets?|admission|agenda|speakers?|add to calendar|doors)\b",
    re.I,
)
_NOTICE_TEXT = re.compile(
    r"\b(?:posted|published|updated|modified|edited|copyright|all rights reserved|"
    r"cookies?\s+(?:policy|notice|settings|preferences)|(?:we|site|website)\s+uses?\s+cookies|"
    r"privacy\s+(?:policy|notice|statement))\b|©",
    re.I,
)
_NOTICE_MARK = re.compile(
    r"cookie|consent|gdpr|notice|alert|byline|publish|updated|modified|"
    r"posted|copyright|footer|breadcrumb|comment|related|datecreated",
    re.I,
)
# fmt: off
_SKIP = {"script", "style", "noscript", "template", "nav", "footer", "button", "select", "option",
         "form"}
_BLOCKS = ("article", "main", "section")
_INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i",
           "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
           "time", "u", "var", "br", "wbr"}
# fmt: on
_PLACE_WORDS = {"location", "venue", "where", "address", "place", "adr"}
_LABEL = re.compile(r"^\s*(location|venue|where|address|place)\s*(?::\s*(.*?)\s*)?$", re.I | re.S)
_LABEL_PARENTS = {"label", "dt", "th"}
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_LISTING_DAYS = 3  # more distinct days than this near the title: a listing, not one event
_AFTER_TITLE = 300  # elements (and strings) after an h1 that has no article/main/section around it


@dataclass
class _Scope:
    """The part of the page next to the title: its elements in document order and their text."""

    tags: list[Tag]
    text: str
    near: bool  # True for the title's own block, False for "what follows the h1"


def read(page: Page) -> list[RawEvent]:
    """At most one event: the one the page is about, when it clearly is about one."""
    soup = page.soup
    title = _meta(soup, "og:title") or ""
    anchor = _anchor(soup, title)
    heading = one_line(anchor.get_text(" ")) if anchor else ""
    title = heading if heading and heading.casefold() in title.casefold() else title or heading
    if not title:
        return []
    for scope in _scopes(soup, anchor):
        if _listing(scope):
            return []
        when = _when(scope)
        if when is not None:
            break
    else:
        return []
    if "event" not in (_meta(soup, "og:type") or "").lower() and not _EVENTISH.search(scope.text):
        return []
    return [_event(page, soup, title, when, scope)]


def _event(
    page: Page, soup: BeautifulSoup, title: str, when: tuple[date, date | None], scope: _Scope
) -> RawEvent:
    link = soup.find("link", rel="canonical")
    given = page.absolute(_meta(soup, "og:url")) or (
        page.absolute(attr(link, "href")) if isinstance(link, Tag) else None
    )
    venue, address = _place(scope.tags)
    return RawEvent(
        uid=given or f"{page.url or ''}#event-0",
        title=title,
        start=when[0],
        end=when[1],
        url=given or page.absolute(page.url),
        venue=venue,
        address=address,
        attendance="online" if looks_online(venue) else None,
        description=_meta(soup, "og:description") or _meta(soup, "description"),
        image=page.absolute(_meta(soup, "og:image")),
        confidence=0.5,
        reader="heuristic",
    )


def _meta(soup: BeautifulSoup, name: str) -> str | None:
    for key in ("property", "name"):
        found = soup.find("meta", attrs={key: name})
        if isinstance(found, Tag) and one_line(attr(found, "content")):
            return one_line(attr(found, "content"))
    return None


def _anchor(soup: BeautifulSoup, title: str) -> Tag | None:
    """The h1 that names the event: the one matching og:title, else the first one."""
    headings = [h for h in soup.find_all("h1") if not _excluded(h)]
    wanted = title.casefold()
    for heading in headings:
        text = one_line(heading.get_text(" ")).casefold()
        if wanted and text and (text in wanted or wanted in text):
            return heading
    return headings[0] if headings else None


def _scopes(soup: BeautifulSoup, anchor: Tag | None) -> Iterator[_Scope]:
    """Where to look, nearest first: the article/main/section holding the h1, then what follows
    the h1 in document order; without an h1, the page's main content."""
    if anchor is None:
        root = soup.find("main") or soup.find("article")
        if isinstance(root, Tag):
            yield _Scope(root.find_all(True), _text(root.find_all(string=True)), True)
        return
    block = anchor.find_parent(_BLOCKS)
    if block is not None:
        yield _Scope([block, *block.find_all(True)], _text(block.find_all(string=True)), True)
    following = anchor.find_all_next(string=True, limit=_AFTER_TITLE)
    yield _Scope(anchor.find_all_next(True, limit=_AFTER_TITLE), _text(following), False)


def _excluded(tag: Tag) -> bool:
    """Inside navigation, a footer, a cookie banner, a byline or another notice."""
    for node in [tag, *tag.parents]:
        if node.name in ("body", "html", "[document]"):
            return False
        if node.name in _SKIP:
            return True
        names = (attr(node, "id"), attr(node, "itemprop"), attr(node, "role"))
        marks = " ".join([*classes(node), *(name or "" for name in names)])
        if _NOTICE_MARK.search(marks) or "contentinfo" in marks:
            return True
    return False


def _text(strings: Iterable[object]) -> str:
    """The visible text of `strings`, notices and scripts left out; one line per block."""
    text, block = "", None
    for string in strings:
        if not isinstance(string, NavigableString) or type(string) is not NavigableString:
            continue  # comments, scripts, styles
        if string.strip() and string.parent is not None and not _excluded(string.parent):
            here = _block_of(string)
            text += ("\n" if here is not block else " ") + one_line(str(string))
            block = here
    return text.strip()


def _block_of(node: Tag | NavigableString) -> Tag | None:
    """The nearest block-level element around `node` (its line)."""
    return next((p for p in node.parents if p.name not in _INLINE), None)


def _when(scope: _Scope) -> tuple[date, date | None] | None:
    """Start and end: `<time datetime>` (in the title's block, or the first two after the h1),
    else visible date text; None when nothing fits."""
    times = _times([t for t in scope.tags if t.name == "time"])
    times = times if scope.near else times[:2]
    if not times:
        return _visible_when(scope.text)
    start_tag, start = times[0]
    end = next(
        (v for t, v in times[1:] if t.parent is start_tag.parent and _wall(v) > _wall(start)), None
    )
    return start, end or _range_end(start_tag, start)


def _range_end(tag: Tag, start: date) -> date | None:
    """The end a `<time>` only shows in its text: "6:00 PM to 7:30 PM PDT"."""
    end = range_end(one_line(tag.get_text(" ")), start)
    return end if end is not None and _wall(end) > _wall(start) else None


def _listing(scope: _Scope) -> bool:
    """Many different days near the title: a calendar or listing page, not one event."""
    days = {_wall(v).date() for _, v in _times([t for t in scope.tags if t.name == "time"])}
    days |= {day for _, _, day in dates_in(scope.text)}
    return len(days) > _LISTING_DAYS


def _wall(value: date) -> datetime:
    """A time as the wall clock shows it (dates at midnight), comparable with any other."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, time())


def _times(tags: list[Tag]) -> list[tuple[Tag, date]]:
    found: list[tuple[Tag, date]] = []
    for tag in tags:
        value = parse_when(attr(tag, "datetime"))
        if value is not None and not _excluded(tag) and not _NOTICE_TEXT.search(_before(tag)):
            found.append((tag, value))
    return found


def _before(tag: Tag, chars: int = 60) -> str:
    """The text just before `tag` on its line (its context: "Posted on", "Updated")."""
    block, text = _block_of(tag), ""
    for string in tag.find_all_previous(string=True, limit=12):
        if block is None or block not in string.parents or len(text) >= chars:
            break
        text = f"{string} {text}"
    return one_line(text)[-chars:]


def _visible_when(text: str) -> tuple[date, date | None] | None:
    """The first date written out in `text` that no notice words on its line precede, with its
    times."""
    for begin, end, day in dates_in(text):
        if not _NOTICE_TEXT.search(text[max(0, begin - 60) : begin].rsplit("\n", 1)[-1]):
            return times_after(text, end, day)
    return None


def _place(tags: list[Tag]) -> tuple[str | None, str | None]:
    """(venue, address): the first element marked as a place (class/id), else the first place
    label ("Location:"), else the first `<address>`."""
    for tag in tags:
        marks = [*classes(tag), attr(tag, "id") or "", attr(tag, "data-testid") or ""]
        words = set(re.split(r"[-_\s]+", " ".join(marks).lower()))
        if words & _PLACE_WORDS and not _excluded(tag) and tag.find("h1") is None:
            lines = _lines(tag)
            if lines and len(" ".join(lines)) < 300:
                return _split(lines, "address" in words)
    for tag in tags:
        for string in tag.find_all(string=_LABEL, recursive=False):
            label = _LABEL.match(string)
            text = one_line(label.group(2)) if label and label.group(2) else _next_text(tag)
            if label and 0 < len(text) < 300 and not _excluded(tag):
                return _split([text], label.group(1).lower() == "address")
    found = next((t for t in tags if t.name == "address" and not _excluded(t)), None)
    return _split(_lines(found), True) if found is not None else (None, None)


def _split(lines: list[str], address: bool) -> tuple[str | None, str | None]:
    """A place block's lines: a name, then its address (a first line with a number: address)."""
    if address or not lines or lines[0][:1].isdigit():
        return None, ", ".join(lines) or None
    return lines[0], ", ".join(lines[1:]) or None


def _lines(tag: Tag) -> list[str]:
    """An element's visible text, string by string, without its label ("Location", "Venue:")."""
    lines = [
        one_line(str(s)).strip(" ,")
        for s in tag.find_all(string=True)
        if type(s) is NavigableString and not _in_label(s, tag)
    ]
    lines = [line for line in lines if re.search(r"\w", line)]
    label = _LABEL.match(lines[0]) if lines else None
    if label:
        lines = [one_line(label.group(2))] + lines[1:] if label.group(2) else lines[1:]
    return [line for line in lines if line]


def _in_label(string: NavigableString, tag: Tag) -> bool:
    """Inside a label of `tag`, or hidden (`display: none`, `hidden`)."""
    for parent in string.parents:
        if parent is tag:
            return False
        hidden = parent.has_attr("hidden") or _HIDDEN.search(attr(parent, "style") or "")
        if hidden or parent.name in _LABEL_PARENTS or "label" in " ".join(classes(parent)):
            return True
    return False


def _next_text(tag: Tag) -> str:
    """The first text after `tag` (not inside it): the value of a label."""
    inside = set(map(id, tag.find_all(string=True)))
    for string in tag.find_all_next(string=True, limit=20):
        if id(string) not in inside and type(string) is NavigableString and string.strip():
            return one_line(string)
    return ""
