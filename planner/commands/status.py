"""`planner status`: queues, failing sources, the last refresh and the last digest run."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from planner.commands import now_option, parse_now, with_app


@click.command()
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@now_option
@with_app
def status(as_json: bool, now: str | None) -> None:
    """How the service is doing (exit status 1 when the database or Redis does not answer)."""
    from planner.status import status as gather

    found = gather(parse_now(now))
    if as_json:
        click.echo(json.dumps(found, indent=2))
    else:
        for line in describe(found):
            click.echo(line)
    if any(state not in ("ok", "not configured") for state in found["health"].values()):
        sys.exit(1)  # for monitors and scripts


def describe(found: dict[str, Any]) -> list[str]:
    lines = [f"{name}: {state}" for name, state in found["health"].items()]
    if found["digests"] is None:  # the database does not answer: nothing more to say
        return lines
    queues = found["queues"]
    if queues is None and found["health"]["redis"] == "not configured":
        lines.append("queues: none (no Redis: jobs run in the web process)")
    elif queues is None:
        lines.append("queues: unknown (Redis does not answer)")
    else:
        for name, counts in queues.items():
            lines.append(
                f"queue {name}: {counts['queued']} queued, {counts['started']} running, "
                f"{counts['scheduled']} waiting to retry, {counts['failed']} failed"
            )
    lines.append(
        f"sources: {found['sources']} ({found['sources_due']} due, "
        f"{found['sources_failing']} failing); last refresh {found['last_refresh'] or 'never'}"
    )
    for source in found["failing"]:
        lines.append(
            f"  failing source {source['id']} (user {source['owner_id']}, "
            f"{source['failures']}x): {source['url']}: {source['error']}"
        )
    digests = found["digests"]
    sent = ", ".join(f"{n} {s}" for s, n in sorted(digests["last_7_days"].items())) or "none"
    lines.append(f"digests: last run {digests['last_run'] or 'never'}; last 7 days: {sent}")
    if digests["interrupted"]:
        lines.append(
            f"  {digests['interrupted']} digest(s) interrupted while sending: "
            "see `planner digest send --user EMAIL` and the Digest page to decide"
        )
    return lines
