"""What the `planner` commands share: the usage error, `--now`, the app context, `--user`.

The commands themselves live in the modules of this package, one per concern, and
`planner.cli` registers them on the `planner` group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from typing import Any

import click
from flask import Flask

from scrapers import KINDS

KIND_CHOICES = list(KINDS)
NOW_HELP = "pretend the current time is this ISO 8601 date-time (for tests and replays)"


class Usage(click.ClickException):
    """Bad input from the user: printed as one line, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"planner: {self.format_message()}", err=True)


def now_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The `--now ISO_DATETIME` option, read with `parse_now`."""
    return click.option("--now", "now", default=None, metavar="ISO_DATETIME", help=NOW_HELP)(func)


def parse_now(value: str | None) -> datetime:
    """The moment `--now` names (the real clock without it), or a usage error."""
    from planner.jobs import parse_now as parse_moment

    try:
        moment = parse_moment(value)
    except ValueError:
        raise Usage(f"--now {value!r} is not an ISO 8601 date-time") from None
    if not 1900 <= moment.year <= 2200:
        raise Usage(f"--now {value!r} is outside the years 1900-2200")
    return moment


@contextmanager
def app_context() -> Iterator[Flask]:
    """An app (not serving) with its context pushed; a bad configuration is a usage error."""
    from planner import create_app
    from planner.config import ConfigError

    try:
        app = create_app(serving=False)
    except ConfigError as exc:
        raise Usage(str(exc)) from None
    with app.app_context():
        yield app


def with_app(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run the command inside `app_context()`."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with app_context():
            return func(*args, **kwargs)

    return wrapper


def known_user(session: Any, email: str | None) -> Any:
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
