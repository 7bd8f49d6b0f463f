"""`planner goals`."""

from __future__ import annotations

import click


@click.group()
def goals() -> None:
    """Goals."""
