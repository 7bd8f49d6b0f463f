"""`planner contacts`: contacts from export files; `parse` prints them as JSON, no database;
`import` adds them to a user's contacts; `list` and `export` show a user's contacts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from planner.commands import Usage, known_user, now_option, parse_now, with_app
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
        found, warnings = parse_contacts(read_limited(file), fmt)
    except OSError as exc:
        raise Usage(f"{file}: {exc.strerror or exc}") from None
    except ContactsError as exc:
        raise Usage(f"{file}: {exc}") from None
    with database.transaction() as session:
        user = owner(session, email)
        report = import_contacts(session, user, found, moment, warnings)
    for warning in report.warnings:
        click.echo(f"planner: warning: {warning}", err=True)
    click.echo(f"{report.added} added, {report.updated} updated, {len(report.skipped)} skipped")
    for reason in report.skipped[:SHOWN_SKIPS]:
        click.echo(f"  skipped: {reason}")
    if len(report.skipped) > SHOWN_SKIPS:
        click.echo(f"  ... and {len(report.skipped) - SHOWN_SKIPS} more")
    place_cities(user.id, now)


def read_limited(file: Path) -> bytes:
    """The file's bytes; a usage error, before reading it whole, when it is larger than
    MAX_UPLOAD_BYTES (the same limit as the web upload)."""
    from flask import current_app

    limit = current_app.config["MAX_UPLOAD_BYTES"]
    too_large = Usage(f"{file}: larger than {limit} bytes (MAX_UPLOAD_BYTES): not imported")
    if file.is_file() and file.stat().st_size > limit:
        raise too_large
    with file.open("rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_large
    return data


def place_cities(user_id: int, now: str | None) -> None:
    """Geocode the user's contacts whose city is not looked up yet, and say how it went."""
    from planner.geo import GeoError
    from planner.geocode import geocode_contacts

    try:
        result = geocode_contacts(user_id, now)
    except GeoError as exc:
        click.echo(f"planner: warning: cities not placed on the map yet: {exc}", err=True)
        return
    if result["looked_up"]:
        click.echo(f"{result['found']} of {result['looked_up']} new cities placed on the map")


@contacts.command("list")
@click.option("--user", "email", help="whose contacts (default: the local owner)")
@click.option("--search", "q", default="", help="only those matching these words")
@with_app
def list_contacts(email: str | None, q: str) -> None:
    """Print the user's contacts, one a line: id, name, title, company, city, tie (tabs between)."""
    from planner import db as database
    from planner.contactbook import search_query

    session = database.session()
    query = search_query(known_user(session, email), q)
    count = 0
    for row in session.scalars(query.execution_options(yield_per=500)):
        cells = (str(row.id), row.name, row.title, row.company, row.city, row.tie)
        click.echo("\t".join(_printable(c) for c in cells))
        count += 1
    if not count:
        click.echo("planner: no contacts" + (f" match {q!r}" if q.strip() else ""), err=True)


@contacts.command("export")
@click.option("--user", "email", help="whose contacts (default: the local owner)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="file")
@with_app
def export_contacts(email: str | None, output: Path | None) -> None:
    """Write the user's contacts as CSV (to stdout, or FILE with -o); cells a spreadsheet would
    take for formulas are written as text."""
    from planner import db as database
    from planner.contactbook import export_contacts_csv, search_query

    session = database.session()
    query = search_query(known_user(session, email))
    rows = list(session.scalars(query))
    text = export_contacts_csv(rows)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise Usage(f"{output}: {exc.strerror or exc}") from None
    click.echo(f"{len(rows)} contacts written to {output}", err=True)


def _printable(text: str | None) -> str:
    """One line of text without control characters (a hostile file's escape sequences)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text or "").split())
