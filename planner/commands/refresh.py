"""`planner refresh`: read the sources that are due, here or on the queue."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from planner.commands import Usage, now_option, parse_now, with_app

log = logging.getLogger("planner.cli")  # the command line's log, whichever module logs


@click.command()
@now_option
@click.option("--all", "everything", is_flag=True, help="every source, due or not")
@click.option("--source", "source_ids", type=int, multiple=True, help="only this source id")
@click.option("--enqueue", is_flag=True, help="queue the jobs on Redis instead of running here")
@with_app
def refresh(now: str | None, everything: bool, source_ids: tuple[int, ...], enqueue: bool) -> None:
    """Refresh the sources that are due, with a progress bar and a line per source."""
    from planner.jobs import QueueUnavailable, enqueue_refresh, refresh_source

    moment = parse_now(now)
    ids = _chosen_sources(moment, everything, source_ids)
    if enqueue:
        queued = 0
        try:
            for source_id in ids:
                enqueue_refresh(source_id, moment)
                queued += 1
        except QueueUnavailable as exc:
            raise click.ClickException(
                f"Redis is not answering ({exc.__cause__ or exc}): {queued} of {len(ids)} "
                "sources queued; the scheduler queues the rest when they are due"
            ) from None
        click.echo(f"queued {len(ids)} sources")
        return
    failures = _refresh_all(ids, moment, refresh_source)
    click.echo(f"{len(ids)} sources refreshed, {failures} failed")
    if failures:
        sys.exit(1)  # for cron and scripts: something needs a look (`planner sources list`)


def _chosen_sources(moment: datetime, everything: bool, source_ids: tuple[int, ...]) -> list[int]:
    """The ids `--source` names (each must exist), else every source or the due ones."""
    from sqlalchemy import select

    from planner import db as database
    from planner.jobs import due_sources
    from planner.models import Source

    session = database.session()
    unknown = [i for i in source_ids if session.get(Source, i) is None]
    if unknown:
        raise Usage(f"no source {unknown[0]} (see `planner sources list`)")
    ids = list(source_ids) or (
        list(session.scalars(select(Source.id).order_by(Source.id)))
        if everything
        else due_sources(moment)
    )
    session.commit()
    return ids


def _refresh_all(ids: list[int], moment: datetime, job: Callable[..., dict[str, Any]]) -> int:
    lines: list[str] = []
    failures = 0
    with click.progressbar(ids, label="refreshing", file=sys.stderr, show_pos=True) as bar:
        for source_id in bar:
            try:
                result = job(source_id, moment.isoformat())
            except Exception as exc:  # one source's bug or outage never stops the others
                log.exception("refresh of source %s failed", source_id)
                result = {"ok": False, "message": f"internal error: {type(exc).__name__}: {exc}"}
            failures += not result["ok"]
            lines.append(
                f"source {source_id}: {'ok' if result['ok'] else 'FAILED'}: {result['message']}"
            )
    for line in lines:
        click.echo(line)
    return failures
