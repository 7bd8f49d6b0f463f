"""Site readers: small classes that fix what the generic readers miss on one host.

One explicit table, SITES, keyed by host; adding a site adds a module and a line here.
Conference-data JSON files (`confs`) are a format of their own, read by `scrapers.sites.confs`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapers.sites.base import Site
from scrapers.sites.meetup import Meetup

SITES: dict[str, type[Site]] = {
    Meetup.host: Meetup,
}


def site_for(url: str | None) -> Site:
    """The reader for `url`'s host (with or without `www.`), else the generic default."""
    host = (urlsplit(url).hostname or "") if url else ""
    found = SITES.get(host) or SITES.get(host.removeprefix("www.")) or Site
    return found()
