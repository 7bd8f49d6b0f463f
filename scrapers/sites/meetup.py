"""Meetup: event pages (JSON-LD does most) and a group's events page (a listing)."""

from __future__ import annotations

import re

from scrapers.model import Person, RawEvent
from scrapers.page import Page
from scrapers.sites.base import Site

_EVENT_LINK = re.compile(r"""href=["'](https://www\.meetup\.com/[\w-]+/events/\d+/?)[^"']*["']""")
_HOST = re.compile(r"""aria-label=["']Hosted By ([^"']{1,120})["']""")
_DETAILS = re.compile(
    r"""<div id="event-details".*?<div class="break-words[^"]*">(.*?)</div>""", re.S
)


class Meetup(Site):
    host = "meetup.com"

    def events(self, page: Page, found: list[RawEvent]) -> list[RawEvent]:
        """Add the host and the full description (JSON-LD's is cut short)."""
        host = _HOST.search(page.text)
        details = _DETAILS.search(page.text)
        for event in found:
            if host and not any(p.role == "host" for p in event.people):
                event.people.append(Person(host.group(1).strip(), "host"))
            if details and len(details.group(1)) > len(event.description or ""):
                event.description = details.group(1)
        return found

    def links(self, page: Page) -> list[str]:
        """On a group's events page: its event pages, in the order they are listed."""
        here = (page.url or "").rstrip("/")
        links = []
        for url in _EVENT_LINK.findall(page.text):
            url = url.rstrip("/") + "/"
            if url.rstrip("/") != here and url not in links:
                links.append(url)
        return links
