"""When the weekly digest is due, on the user's own clock (pure: `now` comes in).

    week_of(now, zone)                          # the user's ISO week: "2026-W48"
    slot(now, zone, weekday, hour, weeks)       # the digest's time in that week (or later)
    due_week(now, zone, weekday, hour, since)   # the week due at `now`, or None
    current_weeks(now, zone)                    # the weeks a digest may still go out for

A digest is due for `GRACE` after its slot, then skipped: a scheduler stopped for longer does
not mail days late, and an account made (or a slot chosen) after this week's slot waits for the
next one. `planner.digest` says what a digest says; it imports these names too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from planner.matcher.place import zone

GRACE = timedelta(hours=24)  # a digest is due this long after its slot, then skipped


def week_of(now: datetime, timezone: str | None) -> str:
    """The ISO week of `now` on the user's clock: "2026-W48"."""
    year, week, _ = now.astimezone(zone(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def due_week(
    now: datetime, timezone: str | None, weekday: int, hour: int, since: datetime | None = None
) -> str | None:
    """The week (on the user's clock: "2026-W48") whose digest is due at `now`: its slot,
    `weekday` (0 = Monday) at `hour`, has come, less than `GRACE` ago (a scheduler stopped
    for longer skips that week rather than mailing days late), and not before `since` (the
    account's creation: a new account waits for its first slot). None when none is due.
    Wall-clock times: an hour skipped by a DST change is due right after."""
    for weeks in (0, -1):  # a Sunday-night slot is still due after the week turns
        start = slot(now, timezone, weekday, hour, weeks)
        if start <= now < start + GRACE and (since is None or since <= start):
            return week_of(start, timezone)
    return None


def current_weeks(now: datetime, timezone: str | None) -> tuple[str, str]:
    """The weeks a digest may be sent for at `now`: this one, and the one that ended less
    than `GRACE` ago (its slot may still be due)."""
    return week_of(now, timezone), week_of(now - GRACE, timezone)


def slot(now: datetime, timezone: str | None, weekday: int, hour: int, weeks: int = 0) -> datetime:
    """The digest's time in the week of `now` (`weeks` later), on the user's clock."""
    local = now.astimezone(zone(timezone))
    day = local.date() + timedelta(days=weekday - local.weekday() + 7 * weeks)
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone(timezone))
