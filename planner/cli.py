"""The `planner` command line.

Bad input: one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click
from flask import Flask

from planner.fetch import FetchError
from scrapers import KINDS

KIND_CHOICES = list(KINDS)
log = logging.getLogger("planner.cli")
NOW_HELP = "pretend the current time is this ISO 8601 date-time (for tests and replays)"


class Usage(click.ClickException):
    """Bad input from the user: printed as one line, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"planner: {self.format_message()}", err=True)


def _now_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--now", "now", default=None, metavar="ISO_DATETIME", help=NOW_HELP)(func)


def _parse_now(value: str | None) -> datetime:
    from planner.jobs import parse_now

    try:
        moment = parse_now(value)
    except ValueError:
        raise Usage(f"--now {value!r} is not an ISO 8601 date-time") from None
    if not 1900 <= moment.year <= 2200:
        raise Usage(f"--now {value!r} is outside the years 1900-2200")
    return moment


@contextmanager
def _app_context() -> Iterator[Flask]:
    from planner import create_app
    from planner.config import ConfigError

    try:
        app = create_app(serving=False)
    except ConfigError as exc:
        raise Usage(str(exc)) from None
    with app.app_context():
        yield app


def _with_app(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _app_context():
            return func(*args, **kwargs)

    return wrapper


class _Commands(click.Group):
    """Every usage error, click's own included, is one line on stderr and exit status 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"planner: {exc.format_message()}", err=True)
            sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
        except click.Abort:
            click.echo("planner: aborted", err=True)
            sys.exit(1)


@click.group(cls=_Commands)
def main() -> None:
    """planner: where to meet whom, in person."""
    # what the service logs for operators, the commands already say in their own result lines
    logging.getLogger("planner").addHandler(logging.NullHandler())
    logging.getLogger("planner").propagate = False


# --- planner extract ------------------------------------------------------------------------


@main.command()
@click.argument("source")
@click.option("--kind", type=click.Choice(KIND_CHOICES), help="force a reader, not detecting")
@click.option("--url", "page_url", help="the address a local file was saved from")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="first day (inclusive)")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="last day (inclusive)")
@_now_option
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

    moment = _parse_now(now)
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
    from datetime import timedelta

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


# --- planner db -------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@_with_app
def db_upgrade() -> None:
    """Apply the migrations (creates the database on first run)."""
    from flask import current_app

    from planner.db import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is up to date")


# --- planner sources / import -----------------------------------------------------------------


@main.group()
def sources() -> None:
    """Sources of events: iCal feeds and pages."""


@sources.command("add")
@click.argument("url")
@click.option("--user", "email", help="owner (default: the local owner)")
@click.option("--kind", type=click.Choice(KIND_CHOICES))
@click.option("--name")
@_with_app
def sources_add(url: str, email: str | None, kind: str | None, name: str | None) -> None:
    """Follow URL (http, https or webcal://)."""
    from planner import db as database
    from planner.sources import SourceError, add_source, owner

    with database.transaction() as session:
        try:
            source = add_source(session, owner(session, email), url, kind, name)
        except SourceError as exc:
            raise Usage(str(exc)) from None
    click.echo(f"source {source.id}: {source.url} (run `planner refresh` to read it)")


@sources.command("list")
@click.option("--user", "email", help="owner (default: the local owner)")
@_with_app
def sources_list(email: str | None) -> None:
    """Each source with its health."""
    from planner import db as database
    from planner.agenda import sources_of

    session = database.session()
    for source in sources_of(session, _known_user(session, email)):
        state = (
            "ok" if source.healthy else ("never fetched" if not source.fetched_at else "FAILING")
        )
        checked = source.ok_at.strftime("%Y-%m-%d %H:%M UTC") if source.ok_at else "-"
        click.echo(
            f"{source.id:>4}  {state:<13} {source.events_found:>5} events  last ok {checked}"
            f"  {source.name or ''}  {source.url}"
        )
        if source.last_error:
            click.echo(f"      error: {source.last_error}")
    session.commit()


@sources.command("remove")
@click.argument("source_id", type=int)
@click.option("--user", "email", help="owner (default: the local owner)")
@_with_app
def sources_remove(source_id: int, email: str | None) -> None:
    """Stop following a source (its events are kept as history, marked gone)."""
    from datetime import UTC

    from planner import db as database
    from planner.models import Source
    from planner.sources import remove_source

    with database.transaction() as session:
        source = session.get(Source, source_id)
        if source is None or source.owner_id != _known_user(session, email).id:
            raise Usage(f"no source {source_id} (see `planner sources list`)")
        label = source.name or source.url
        count = remove_source(session, source, datetime.now(UTC))
    click.echo(f"removed source {source_id} ({label}); it listed {count} events")


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--user", "email", help="owner (default: the local owner)")
@click.option("--kind", type=click.Choice(KIND_CHOICES))
@_now_option
@_with_app
def import_(file: Path, email: str | None, kind: str | None, now: str | None) -> None:
    """Read a local file (.ics, a saved event page, conference JSON) as a source of the user,
    now and on every refresh. A file that cannot be read leaves nothing behind."""
    from planner import db as database
    from planner.jobs import refresh_source
    from planner.sources import add_file_source, owner, remove_source

    moment = _parse_now(now)
    if not file.is_file():
        raise Usage(f"{file}: not a file")
    with database.transaction() as session:
        known = _existing_file_source(session, file)
        source = add_file_source(session, owner(session, email), file, kind, now=moment)
    result = refresh_source(source.id, moment.isoformat(), force=True)
    if not result["ok"]:
        if not known:
            with database.transaction() as session:
                remove_source(session, session.get(type(source), source.id), moment)
        raise Usage(f"{file}: {result['message']}")
    click.echo(f"source {source.id}: {file.name}: {result['message']}")


def _known_user(session: Any, email: str | None) -> Any:
    """The user `--user` names (a typo must not create an empty account); the local owner by
    default."""
    from sqlalchemy import select

    from planner.models import User
    from planner.sources import owner

    if email is None:
        return owner(session)
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise Usage(f"no user {email!r}")
    return user


def _existing_file_source(session: Any, file: Path) -> bool:
    from sqlalchemy import select

    from planner.models import Source

    url = file.resolve().as_uri()
    return session.scalar(select(Source.id).where(Source.url == url)) is not None


@main.command()
@_now_option
@click.option("--all", "everything", is_flag=True, help="every source, due or not")
@click.option("--source", "source_ids", type=int, multiple=True, help="only this source id")
@click.option("--enqueue", is_flag=True, help="queue the jobs on Redis instead of running here")
@_with_app
def refresh(now: str | None, everything: bool, source_ids: tuple[int, ...], enqueue: bool) -> None:
    """Refresh the sources that are due, with a progress bar and a line per source."""
    from sqlalchemy import select

    from planner import db as database
    from planner.jobs import due_sources, enqueue_refresh, refresh_source
    from planner.models import Source

    moment = _parse_now(now)
    session = database.session()
    unknown = [i for i in source_ids if session.get(Source, i) is None]
    if unknown:
        raise Usage(f"no source {unknown[0]} (see `planner sources list`)")
    ids = list(source_ids) or (
        list(session.scalars(select(Source.id).order_by(Source.id)))
        if everything
        else due_sources(moment)
    )
    session.commit()
    if enqueue:
        for source_id in ids:
            enqueue_refresh(source_id, moment)
        click.echo(f"queued {len(ids)} sources")
        return
    failures = _refresh_all(ids, moment, refresh_source)
    click.echo(f"{len(ids)} sources refreshed, {failures} failed")
    if failures:
        sys.exit(1)  # for cron and scripts: something needs a look (`planner sources list`)


def _refresh_all(ids: list[int], moment: datetime, job: Callable[..., dict[str, Any]]) -> int:
    lines: list[str] = []
    failures = 0
    with click.progressbar(ids, label="refreshing", file=sys.stderr, show_pos=True) as bar:
        for source_id in bar:
            try:
                result = job(source_id, moment.isoformat())
            except Exception as exc:  # one source's bug or outage never stops the others
                log.exception("refresh of source %s failed", source_id)
                result = {"ok": False, "message": f"internal error: {type(exc).__name__}: {exc}"}
            failures += not result["ok"]
            lines.append(
                f"source {source_id}: {'ok' if result['ok'] else 'FAILED'}: {result['message']}"
            )
    for line in lines:
        click.echo(line)
    return failures


# --- planner events / demo / serve ------------------------------------------------------------


@main.group()
def events() -> None:
    """Events from your sources."""


@events.command("list")
@click.option("--user", "email", help="whose events (default: the local owner)")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table")
@_now_option
@_with_app
def events_list(email: str | None, limit: int, as_json: bool, now: str | None) -> None:
    """Upcoming events, soonest first."""
    from planner import db as database
    from planner.agenda import upcoming_events, when

    session = database.session()
    user = _known_user(session, email)
    found = upcoming_events(session, user, _parse_now(now), limit=limit)
    rows = []
    for event in found:
        local = when(event, user.timezone)
        rows.append(
            {
                "id": event.id,
                "day": local.day,
                "time": local.clock,
                "title": event.title,
                "venue": event.venue,
                "status": event.status,
                "sources": sorted({link.source.name or link.source.url for link in event.links}),
            }
        )
    session.commit()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        flag = f" [{row['status'].upper()}]" if row["status"] != "scheduled" else ""
        click.echo(
            f"{row['id']:>5}  {row['day']}  {row['time']:<18} {row['title']}{flag}"
            f"  @ {row['venue'] or '-'}"
        )
    if not rows:
        click.echo("no upcoming events: add a source (`planner sources add URL`) and refresh")


@main.group()
def demo() -> None:
    """The bundled offline demo."""


@demo.command("load")
@_now_option
@_with_app
def demo_load(now: str | None) -> None:
    """Write the demo feeds (dates around now) and import them for the local owner."""
    from planner.demo_loader import load_demo

    for line in load_demo(_parse_now(now)):
        click.echo(line)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the web app (the embedded default: SQLite, jobs in-process)."""
    from planner import create_app
    from planner.config import ConfigError

    try:
        app = create_app()
    except ConfigError as exc:
        raise Usage(str(exc)) from None
    click.echo(f"planner: serving on http://{host}:{port}/ (database {app.config['DATABASE_URL']})")
    app.run(host=host, port=port, debug=False, threaded=True, use_reloader=False)
