"""`planner contacts`: contacts from export files; `parse` prints them as JSON, no database;
`import` adds them to a user's contacts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from planner.commands import Usage, now_option, parse_now, with_app
from planner.contacts import FORMATS, ContactsError, parse_contacts


@click.group()
def contacts() -> None:
    """Contacts from LinkedIn, vCard, Mastodon and CSV exports."""


@contacts.command("parse")
@click.argument("file")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="force a format, not detecting")
def parse_file(file: str, fmt: str | None) -> None:
    """Print the contacts an import of FILE would bring, as JSON; no database involved."""
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        raise Usage(f"{file}: {exc.strerror or exc}") from None
    try:
        found, warnings = parse_contacts(data, fmt)
    except ContactsError as exc:
        raise Usage(f"{file}: {exc}") from None
    for warning in warnings:
        click.echo(f"planner: warning: {warning}", err=True)
    click.echo(json.dumps([c.as_json() for c in found], indent=2, ensure_ascii=False))


SHOWN_SKIPS = 20


@contacts.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--user", "email", help="owner (default: the local owner; created if missing)")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="force a format, not detecting")
@now_option
@with_app
def import_file(file: Path, email: str | None, fmt: str | None, now: str | None) -> None:
    """Add the contacts in FILE to the user's, merging those already there; all or nothing."""
    from planner import db as database
    from planner.people import import_contacts
    from planner.sources import owner

    moment = parse_now(now)
    try:
        found, warnings = parse_contacts(file.read_bytes(), fmt)
    except OSError as exc:
        raise Usage(f"{file}: {exc.strerror or exc}") from None
    except ContactsError as exc:
        raise Usage(f"{file}: {exc}") from None
    with database.transaction() as session:
        report = import_contacts(session, owner(session, email), found, moment, warnings)
    for warning in report.warnings:
        click.echo(f"planner: warning: {warning}", err=True)
    click.echo(f"{report.added} added, {report.updated} updated, {len(report.skipped)} skipped")
    for reason in report.skipped[:SHOWN_SKIPS]:
        click.echo(f"  skipped: {reason}")
    if len(report.skipped) > SHOWN_SKIPS:
        click.echo(f"  ... and {len(report.skipped) - SHOWN_SKIPS} more")
