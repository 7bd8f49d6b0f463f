"""`planner goals add|list|pause|resume|remove`: a user's networking goals, in plain words."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from planner.commands import Usage, known_user, with_app

USER_HELP = "whose goals (default: the local owner)"


@click.group()
def goals() -> None:
    """Networking goals in plain words, each with a priority 1 (high) to 3 (low)."""


@goals.command("add")
@click.argument("text", nargs=-1, required=True)
@click.option("--user", "email", help=USER_HELP)
@click.option("--priority", type=int, default=2, show_default=True, help="1 (high) to 3 (low)")
@with_app
def add(text: tuple[str, ...], email: str | None, priority: int) -> None:
    """Add a goal, e.g. `planner goals add --priority 1 meet Rust developers`."""
    from planner import db as database
    from planner.goals import GoalError, add_goal

    with database.transaction() as session:
        try:
            goal = add_goal(
                session, known_user(session, email), " ".join(text), priority, datetime.now(UTC)
            )
        except GoalError as exc:
            raise Usage(str(exc)) from None
    click.echo(f"goal {goal.id}: {goal.text} (priority {goal.priority})")


@goals.command("list")
@click.option("--user", "email", help=USER_HELP)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@with_app
def list_goals(email: str | None, as_json: bool) -> None:
    """The goals, most important first; paused ones last."""
    from planner import db as database
    from planner.goals import PRIORITIES, goals_of

    with database.transaction() as session:
        found = goals_of(session, known_user(session, email))
        rows: list[dict[str, Any]] = [
            {"id": g.id, "text": g.text, "priority": g.priority, "paused": g.paused} for g in found
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no goals yet: add one with `planner goals add TEXT`")
    for row in rows:
        level = f"{row['priority']} {PRIORITIES[row['priority']]}"
        click.echo(f"{row['id']:>4}  {level:<8}  {row['text']}" + ("  (paused)" * row["paused"]))


def _change(goal_id: int, email: str | None, verb: str, action: Any) -> None:
    """Apply `action(session, goal)` to the user's goal `goal_id` and say `verb` of it."""
    from planner import db as database
    from planner.goals import goal_of

    with database.transaction() as session:
        goal = goal_of(session, known_user(session, email), goal_id)
        if goal is None:
            raise Usage(f"no goal {goal_id} (see `planner goals list`)")
        text = goal.text
        action(session, goal)
        if verb != "removed":
            text = f"{goal.text} (priority {goal.priority})"
    click.echo(f"goal {goal_id} {verb}: {text}")


@goals.command("pause")
@click.argument("goal_id", type=int)
@click.option("--user", "email", help=USER_HELP)
@with_app
def pause(goal_id: int, email: str | None) -> None:
    """Keep a goal, but let it not steer recommendations for now."""
    from planner.goals import pause_goal

    _change(goal_id, email, "paused", lambda _s, goal: pause_goal(goal, datetime.now(UTC)))


@goals.command("resume")
@click.argument("goal_id", type=int)
@click.option("--user", "email", help=USER_HELP)
@with_app
def resume(goal_id: int, email: str | None) -> None:
    """Let a paused goal steer recommendations again."""
    from planner.goals import resume_goal

    _change(goal_id, email, "resumed", lambda _s, goal: resume_goal(goal, datetime.now(UTC)))


@goals.command("remove")
@click.argument("goal_id", type=int)
@click.option("--user", "email", help=USER_HELP)
@with_app
def remove(goal_id: int, email: str | None) -> None:
    """Remove a goal."""
    from planner.goals import remove_goal

    _change(goal_id, email, "removed", remove_goal)


@goals.command("edit")
@click.argument("goal_id", type=int)
@click.argument("text", nargs=-1)
@click.option("--user", "email", help=USER_HELP)
@click.option("--priority", type=int, help="1 (high) to 3 (low)")
@with_app
def edit(goal_id: int, text: tuple[str, ...], email: str | None, priority: int | None) -> None:
    """New words (TEXT) and/or a new priority for a goal."""
    from planner.goals import GoalError, update_goal

    def change(session: Any, goal: Any) -> None:
        try:
            update_goal(session, goal, datetime.now(UTC), " ".join(text) or None, priority)
        except GoalError as exc:
            raise Usage(str(exc)) from None

    _change(goal_id, email, "saved", change)
