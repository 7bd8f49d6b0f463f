"""The `planner` command line.

Bad input: one line on stderr and exit status 2, never a traceback.

The commands live in `planner.commands`, one module per concern, and are registered on `main`
below; what they share (`Usage`, `--now`, the app context, `--user`) is in
`planner.commands` itself.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from planner.commands import Usage
from planner.commands.admin import db, demo, serve
from planner.commands.contacts import contacts
from planner.commands.digest import digest
from planner.commands.events import events
from planner.commands.extract import extract
from planner.commands.feeds import feeds
from planner.commands.goals import goals
from planner.commands.people import people
from planner.commands.recommend import recommend
from planner.commands.refresh import refresh
from planner.commands.sources import import_, sources
from planner.commands.status import status
from planner.commands.trips import trips
from planner.commands.users import users

__all__ = ["Usage", "main"]


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


for command in (
    extract,
    sources,
    import_,
    refresh,
    recommend,
    people,
    events,
    users,
    goals,
    contacts,
    trips,
    feeds,
    digest,
    status,
    db,
    demo,
    serve,
):
    main.add_command(command)
