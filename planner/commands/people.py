"""`planner people`: for each contact worth meeting, the best chance to meet in person, or a
gathering to host, a coffee or a call, with why."""

from __future__ import annotations

import json
from typing import Any

import click

from planner.commands import known_user, now_option, parse_now, with_app


def contact_json(contact: Any) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.name,
        "company": contact.company,
        "title": contact.title,
        "city": contact.city,
        "tie": contact.tie,
        "last_met": contact.last_met.isoformat() if contact.last_met else None,
    }


def gathering_json(gathering: Any) -> dict[str, Any]:
    return {
        "key": gathering.key,
        "uid": gathering.uid,
        "city": gathering.city,
        "topic": gathering.topic,
        "goal": gathering.goal,
        "contacts": list(gathering.names),
        "contact_ids": list(gathering.contact_ids),
        "start": gathering.start.isoformat(),
        "end": gathering.end.isoformat(),
        "timezone": gathering.timezone,
        "free": gathering.free,
        "invitation": gathering.invitation,
    }


def to_meet_json(item: Any) -> dict[str, Any]:
    """One contact in the contract's shape: contact, event (or null), suggestion."""
    from planner.agenda import event_json

    suggestion = item.suggestion
    said: dict[str, Any] = {
        "kind": suggestion.kind,
        "text": suggestion.text,
        "reasons": list(suggestion.reasons),
    }
    if suggestion.gathering is not None:
        said["gathering"] = gathering_json(suggestion.gathering)
    return {
        "contact": contact_json(item.contact),
        "event": event_json(item.event) if item.event is not None else None,
        "suggestion": said,
    }


@click.command()
@click.option("--user", "email", help="for whom (default: the local owner)")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text")
@now_option
@with_app
def people(email: str | None, as_json: bool, now: str | None) -> None:
    """People to meet: the best chance to meet each contact in person, else a gathering to host,
    a coffee or a call, each with why."""
    from planner import db as database
    from planner.meet import people_to_meet
    from planner.recommend import update_evidence

    moment = parse_now(now)
    session = database.session()
    user = known_user(session, email)
    update_evidence(user.id, moment.isoformat())  # the CLI is its own job: evidence up to date
    found = people_to_meet(session, user, moment)
    if as_json:
        click.echo(json.dumps([to_meet_json(f) for f in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("nobody to suggest yet: add contacts and goals")
    drafted: dict[str, int] = {}  # gathering key -> the number under which it is drafted
    for number, item in enumerate(found, start=1):
        suggestion = item.suggestion
        where = f", {item.contact.city}" if item.contact.city else ""
        click.echo(f"{number:>2}. {item.contact.name}{where} [{suggestion.kind}]")
        click.echo(f"    {suggestion.text}")
        for reason in suggestion.reasons:
            click.echo(f"    - {reason}")
        gathering = suggestion.gathering
        if gathering is not None and gathering.key in drafted:
            click.echo(f"    invitation: see {drafted[gathering.key]}.")
        elif gathering is not None:
            drafted[gathering.key] = number
            click.echo("    invitation:")
            for line in gathering.invitation.splitlines():
                click.echo(f"      {line}".rstrip())
