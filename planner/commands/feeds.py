"""`planner feeds`: the user's private calendar feed URLs, made, shown, rotated and revoked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from planner.commands import Usage, known_user, with_app

USER_HELP = "whose feed (default: the local owner)"
GOING_HELP = 'the "going only" feed instead of "recommended + going"'


def feed_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--going-only", "going_only", is_flag=True, help=GOING_HELP)(func)
    return click.option("--user", "email", help=USER_HELP)(func)


@click.group()
def feeds() -> None:
    """The private calendar feeds (.ics) of recommended and going events."""


@feeds.command()
@feed_options
@with_app
def url(email: str | None, going_only: bool) -> None:
    """Print the feed's URL, making one if there is none yet."""
    from planner.feedtokens import ensure_token

    _print_url(email, going_only, ensure_token)


@feeds.command()
@feed_options
@with_app
def rotate(email: str | None, going_only: bool) -> None:
    """Make a new URL and print it; the old URL stops working (subscribe again)."""
    from planner.feedtokens import rotate_token

    _print_url(email, going_only, rotate_token)


@feeds.command()
@feed_options
@with_app
def revoke(email: str | None, going_only: bool) -> None:
    """Turn the feed off: its URL stops working."""
    from datetime import UTC, datetime

    from planner import db
    from planner.feedtokens import revoke_token

    with db.transaction() as session:
        user = known_user(session, email)
        kind = "going" if going_only else "all"
        ended = revoke_token(session, user, kind, datetime.now(UTC))
    what = f"the {_title(kind)} feed of {user.email}"
    click.echo(f"turned off {what}" if ended else f"{what} was not on: nothing to turn off")


def _title(kind: str) -> str:
    return "going-only" if kind == "going" else "recommended + going"


def _print_url(email: str | None, going_only: bool, make: Callable[..., Any]) -> None:
    from datetime import UTC, datetime

    from flask import current_app

    from planner import db
    from planner.feedtokens import shown_token
    from planner.web.feeds import feed_url

    secret = _checked_key(current_app.config)
    kind = "going" if going_only else "all"
    with db.transaction() as session:
        user = known_user(session, email)
        row = make(session, user, kind, secret, datetime.now(UTC))
    token = shown_token(row, secret)
    if token is None:
        raise Usage(
            f"the {_title(kind)} feed URL of {user.email} was made under another "
            "PLANNER_SECRET_KEY and cannot be shown again: run this with the web app's key, "
            "or `planner feeds rotate` to make a new URL (the old one then stops working)"
        )
    click.echo(feed_url(token))


def _checked_key(config: Any) -> str:
    """The secret key feed URLs are made under; the public development key only in debug mode
    or testing (with it, anyone could work a URL out from the database's seed)."""
    from planner.config import DEFAULT_SECRET_KEY

    secret = config.get("SECRET_KEY")
    development = config.get("DEBUG") or config.get("TESTING")
    if not secret or (secret == DEFAULT_SECRET_KEY and not development):
        raise Usage(
            "PLANNER_SECRET_KEY is not set: a feed URL made under the public development key "
            "could be worked out by anyone who reads the database (set the web app's key)"
        )
    return str(secret)
