"""`planner extract`: a source's normalized events as JSON, no database involved."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from planner.commands import KIND_CHOICES, Usage, now_option, parse_now
from planner.fetch import FetchError


@click.command()
@click.argument("source")
@click.option("--kind", type=click.Choice(KIND_CHOICES), help="force a reader, not detecting")
@click.option("--url", "page_url", help="the address a local file was saved from")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="first day (inclusive)")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="last day (inclusive)")
@now_option
def extract(
    source: str,
    kind: str | None,
    page_url: str | None,
    first: datetime | None,
    last: datetime | None,
    now: str | None,
) -> None:
    """Print the normalized events of SOURCE (a URL or a file) as JSON; no database involved."""
    from planner.config import load_config
    from planner.ingest import read_events
    from scrapers import ScraperError

    moment = parse_now(now)
    window = _window(moment, first.date() if first else None, last.date() if last else None)
    data, url = _read_source(source, page_url, load_config(os.environ))
    try:
        events, result = read_events(data, url, window, kind)
    except ScraperError as exc:
        raise Usage(f"{source}: {exc}") from None
    for warning in result.warnings:
        click.echo(f"planner: warning: {warning}", err=True)
    events.sort(key=lambda e: (e.start, e.title, e.source_uid))
    click.echo(json.dumps([e.as_json() for e in events], indent=2, ensure_ascii=False))


def _window(now: datetime, first: date | None, last: date | None) -> Any:
    from planner.ingest import Window

    default = Window.around(now)
    if first is None and last is None:
        return default
    first = first or default.start.date()
    last = last or (default.end - timedelta(seconds=1)).date()
    if last < first:
        raise Usage(f"--to {last} is before --from {first}")
    if first.year < 1900 or last.year > 2200:
        raise Usage("--from and --to must lie within the years 1900-2200")
    return Window.between(first, last)


def _read_source(
    source: str, page_url: str | None, config: dict[str, Any]
) -> tuple[bytes, str | None]:
    if "://" in source:
        from planner.jobs import make_fetcher

        fetcher = make_fetcher(config)
        try:
            result = fetcher.fetch(source)
        except FetchError as exc:
            raise Usage(str(exc)) from None
        finally:
            fetcher.close()
        return result.content, page_url or result.url
    path = Path(source)
    try:
        return path.read_bytes(), page_url
    except OSError as exc:
        raise Usage(f"{source}: {exc.strerror or exc}") from None
