"""`planner db upgrade`, `planner demo load` and `planner serve`: running an instance."""

from __future__ import annotations

import click

from planner.commands import Usage, now_option, parse_now, with_app


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@with_app
def db_upgrade() -> None:
    """Apply the migrations (creates the database on first run)."""
    from flask import current_app

    from planner.db import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is up to date")


@click.group()
def demo() -> None:
    """The bundled offline demo."""


@demo.command("load")
@now_option
@with_app
def demo_load(now: str | None) -> None:
    """Write the demo feeds (dates around now) and import them for the local owner; give the
    owner a home, goals and contacts where they have none."""
    from planner.demo_loader import load_demo, load_demo_person

    moment = parse_now(now)
    for line in load_demo(moment):
        click.echo(line)
    for line in load_demo_person(moment):
        click.echo(line)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the web app (the embedded default: SQLite, jobs in-process)."""
    from planner import create_app
    from planner.config import ConfigError

    try:
        app = create_app()
    except ConfigError as exc:
        raise Usage(str(exc)) from None
    click.echo(f"planner: serving on http://{host}:{port}/ (database {app.config['DATABASE_URL']})")
    if not app.config.get("REDIS_URL"):  # no workers: refreshes and geocoding run here
        from planner.schedule import TICK_SECONDS, start_background

        start_background(app)
        click.echo(f"planner: periodic jobs run in this process every {TICK_SECONDS:.0f} s")
    app.run(host=host, port=port, debug=False, threaded=True, use_reloader=False)
