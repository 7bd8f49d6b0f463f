"""`planner sources add|list|remove` and `planner import`: what a user follows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from planner.commands import KIND_CHOICES, Usage, known_user, now_option, parse_now, with_app

USER_HELP = "owner (default: the local owner)"


@click.group()
def sources() -> None:
    """Sources of events: iCal feeds and pages."""


@sources.command("add")
@click.argument("url")
@click.option("--user", "email", help=USER_HELP)
@click.option("--kind", type=click.Choice(KIND_CHOICES))
@click.option("--name")
@with_app
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
@click.option("--user", "email", help=USER_HELP)
@with_app
def sources_list(email: str | None) -> None:
    """Each source with its health."""
    from planner import db as database
    from planner.agenda import sources_of

    session = database.session()
    for source in sources_of(session, known_user(session, email)):
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
@click.option("--user", "email", help=USER_HELP)
@with_app
def sources_remove(source_id: int, email: str | None) -> None:
    """Stop following a source (its events are kept as history, marked gone)."""
    from planner import db as database
    from planner.models import Source
    from planner.sources import remove_source

    with database.transaction() as session:
        source = session.get(Source, source_id)
        if source is None or source.owner_id != known_user(session, email).id:
            raise Usage(f"no source {source_id} (see `planner sources list`)")
        label = source.name or source.url
        count = remove_source(session, source, datetime.now(UTC))
    click.echo(f"removed source {source_id} ({label}); it listed {count} events")


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--user", "email", help=USER_HELP)
@click.option("--kind", type=click.Choice(KIND_CHOICES))
@now_option
@with_app
def import_(file: Path, email: str | None, kind: str | None, now: str | None) -> None:
    """Read a local file (.ics, a saved event page, conference JSON) as a source of the user,
    now and on every refresh. A file that cannot be read leaves nothing behind."""
    from planner import db as database
    from planner.jobs import refresh_source
    from planner.sources import add_file_source, owner, remove_source

    moment = parse_now(now)
    if not file.is_file():
        raise Usage(f"{file}: not a file")
    with database.transaction() as session:
        known = _existing_file_source(session, file)
        source = add_file_source(session, owner(session, email), file, kind, now=moment)
    result = refresh_source(source.id, moment.isoformat(), force=True)
    if not result["ok"]:
        if not known:
            with database.transaction() as session:
                created = session.get(type(source), source.id)
                if created is not None:  # nothing is left behind by a file that is no source
                    remove_source(session, created, moment)
        raise Usage(f"{file}: {result['message']}")
    click.echo(f"source {source.id}: {file.name}: {result['message']}")


def _existing_file_source(session: Any, file: Path) -> bool:
    from sqlalchemy import select

    from planner.models import Source

    url = file.resolve().as_uri()
    return session.scalar(select(Source.id).where(Source.url == url)) is not None
