"""`planner contacts`: contacts from export files; `parse` prints them as JSON, no database."""

from __future__ import annotations

import json
from pathlib import Path

import click

from planner.commands import Usage
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
