"""What every site reader is: the generic default, overridden only where a site needs it."""

from __future__ import annotations

from scrapers.model import RawEvent
from scrapers.page import Page


class Site:
    """The default: trust the generic readers, follow no links."""

    host = ""

    def events(self, page: Page, found: list[RawEvent]) -> list[RawEvent]:
        """The page's events, given what the generic readers `found` on it."""
        return found

    def links(self, page: Page) -> list[str]:
        """Event pages this page lists (a group's events page, a calendar page)."""
        return []
