"""`planner trips`."""

from __future__ import annotations

import click


@click.group()
def trips() -> None:
    """Trips."""
