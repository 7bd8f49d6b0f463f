"""`planner digest`: preview and send the weekly email digest."""

from __future__ import annotations

import click


@click.group()
def digest() -> None:
    """The weekly email digest of nearby meetups."""
