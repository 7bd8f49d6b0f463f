"""`planner feeds`: the user's private calendar feed URLs."""

from __future__ import annotations

import click


@click.group()
def feeds() -> None:
    """The private calendar feeds (.ics) of recommended and going events."""
