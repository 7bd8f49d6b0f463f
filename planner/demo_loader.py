"""Load the bundled offline demo: feeds with dates around `now`, imported for the local owner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from flask import current_app

from planner import db
from planner.demo import build_feeds
from planner.jobs import refresh_source
from planner.sources import add_file_source, owner


def load_demo(now: datetime) -> Iterator[str]:
    """Write the demo feeds into the instance folder and refresh them as sources; one line each.

    Loading again rewrites the feeds around the new `now`: the demo never runs dry."""
    folder = Path(current_app.instance_path) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    for feed in build_feeds(now):
        path = folder / f"{feed.slug}.ics"
        path.write_bytes(feed.content)
        with db.transaction() as session:
            source = add_file_source(session, owner(session), path, "ical", feed.name, now=now)
        result = refresh_source(source.id, now.isoformat(), force=True)
        yield f"demo source {source.id} ({feed.name}): {result['message']}"
