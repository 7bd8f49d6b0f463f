"""`planner events list`: the upcoming events of a user, as a table or JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from planner.commands import known_user, now_option, parse_now, with_app


@click.group()
def events() -> None:
    """Events from your sources."""


@events.command("list")
@click.option("--user", "email", help="whose events (default: the local owner)")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table")
@now_option
@with_app
def events_list(email: str | None, limit: int, as_json: bool, now: str | None) -> None:
    """Upcoming events, soonest first."""
    rows = _event_rows(email, parse_now(now), limit)
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


def _event_rows(email: str | None, moment: datetime, limit: int) -> list[dict[str, Any]]:
    """The user's next `limit` events after `moment`, as plain rows in their time zone."""
    from planner import db as database
    from planner.agenda import upcoming_events, when

    session = database.session()
    user = known_user(session, email)
    rows = []
    for event in upcoming_events(session, user, moment, limit=limit):
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
    return rows
