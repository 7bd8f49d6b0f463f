"""`planner people`."""

from __future__ import annotations

import click


@click.command()
def people() -> None:
    """People to meet."""
