"""`planner recommend`: the user's best upcoming events, with the reasons and the contacts."""

from __future__ import annotations

import json
from typing import Any

import click

from planner.commands import Usage, known_user, now_option, parse_now, with_app


def match_json(found: Any) -> dict[str, Any]:
    """One recommendation in the contract's shape: event, score, reasons, contacts."""
    from planner.agenda import event_json

    match = found.match
    return {
        "event": event_json(found.event),
        "score": round(match.score, 4),
        "reasons": [{"kind": r.kind, "text": r.text} for r in match.reasons],
        "contacts": [
            {"name": c.name, "role": c.role, "evidence": c.evidence} for c in match.contacts
        ],
        "serendipity": match.serendipity,
        "introductions": [i.text for i in match.introductions],
    }


@click.command()
@click.option("--user", "email", help="for whom (default: the local owner)")
@click.option("--limit", default=10, show_default=True, help="at most this many")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text")
@now_option
@with_app
def recommend(email: str | None, limit: int, as_json: bool, now: str | None) -> None:
    """The events worth going to, best first, each with why and whom you could meet."""
    from planner import db as database
    from planner.agenda import when
    from planner.recommend import recommend as rank
    from planner.recommend import update_evidence

    if not 1 <= limit <= 200:
        raise Usage(f"--limit {limit}: choose 1 to 200")
    moment = parse_now(now)
    session = database.session()
    user = known_user(session, email)
    update_evidence(user.id, moment.isoformat())  # the CLI is its own job: evidence up to date
    found = rank(session, user, moment, limit=limit)
    session.commit()
    if as_json:
        click.echo(json.dumps([match_json(f) for f in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("nothing to recommend yet: add goals, sources and your home place")
    for number, item in enumerate(found, start=1):
        local = when(item.event, user.timezone)
        label = " [serendipity]" if item.match.serendipity else ""
        click.echo(f"{number:>2}. {item.event.title}{label}  ({item.event.id})")
        click.echo(f"    {local.day} {local.clock} @ {item.event.venue or item.event.attendance}")
        for reason in item.match.reasons:
            click.echo(f"    - {reason.kind}: {reason.text}")
