"""Networking goals in plain words ("meet Rust developers"), each with a priority: 1 is the most
important, 3 the least. A paused goal is kept but does not steer recommendations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner.models import Goal, User
from planner.profile import clean_text

MAX_TEXT = 500
MAX_GOALS = 100  # per user
PRIORITIES = {1: "high", 2: "medium", 3: "low"}


class GoalError(Exception):
    """A goal change that cannot be done; the message is for the user."""


def check_text(text: str | None) -> str:
    """The goal's words on one line, control characters out; 1 to MAX_TEXT characters."""
    if text is not None and len(text) > 4 * MAX_TEXT:
        raise GoalError(f"say it in at most {MAX_TEXT} characters")
    cleaned = clean_text(text, 4 * MAX_TEXT)
    if cleaned is None:
        raise GoalError("say what you want from meeting people, e.g. 'meet Rust developers'")
    if len(cleaned) > MAX_TEXT:
        raise GoalError(f"say it in at most {MAX_TEXT} characters")
    return cleaned


def check_priority(priority: object) -> int:
    if not isinstance(priority, int) or isinstance(priority, bool) or priority not in PRIORITIES:
        raise GoalError("the priority is 1 (high), 2 (medium) or 3 (low)")
    return priority


def goals_of(session: Session, user: User) -> list[Goal]:
    """The user's goals: active before paused, most important first, then oldest first."""
    query = (
        select(Goal)
        .where(Goal.owner_id == user.id)
        .order_by(Goal.paused, Goal.priority, Goal.created_at, Goal.id)
    )
    return list(session.scalars(query))


def goal_of(session: Session, user: User, goal_id: int) -> Goal | None:
    """The user's goal `goal_id`; None when there is none, or it is someone else's."""
    goal = session.get(Goal, goal_id)
    return goal if goal is not None and goal.owner_id == user.id else None


def _same_text(session: Session, owner_id: int, text: str, goal_id: int | None = None) -> None:
    """Refuse a second goal with the same words (letter case aside)."""
    query = select(Goal.id).where(
        Goal.owner_id == owner_id, func.lower(Goal.text) == text.lower(), Goal.id != (goal_id or 0)
    )
    if session.scalar(query.limit(1)) is not None:
        raise GoalError("you already have that goal")


def add_goal(session: Session, user: User, text: str, priority: int, now: datetime) -> Goal:
    """A new goal for `user` (flushed, not committed)."""
    text, priority = check_text(text), check_priority(priority)
    count = session.scalar(select(func.count()).where(Goal.owner_id == user.id)) or 0
    if count >= MAX_GOALS:
        raise GoalError(f"{MAX_GOALS} goals is the most: remove one first")
    _same_text(session, user.id, text)
    goal = Goal(owner_id=user.id, text=text, priority=priority, created_at=now, updated_at=now)
    session.add(goal)
    session.flush()
    return goal


def update_goal(
    session: Session,
    goal: Goal,
    now: datetime,
    text: str | None = None,
    priority: int | None = None,
) -> Goal:
    """New words and/or a new priority for a goal (None: unchanged)."""
    new_text = check_text(text) if text is not None else goal.text
    new_priority = check_priority(priority) if priority is not None else goal.priority
    if new_text.lower() != goal.text.lower():
        _same_text(session, goal.owner_id, new_text, goal.id)
    if (new_text, new_priority) != (goal.text, goal.priority):
        goal.text, goal.priority, goal.updated_at = new_text, new_priority, now
    session.flush()
    return goal


def pause_goal(goal: Goal, now: datetime) -> None:
    """Keep the goal, but let it not steer recommendations for now."""
    if not goal.paused:
        goal.paused, goal.updated_at = True, now


def resume_goal(goal: Goal, now: datetime) -> None:
    if goal.paused:
        goal.paused, goal.updated_at = False, now


def remove_goal(session: Session, goal: Goal) -> None:
    session.delete(goal)
    session.flush()
