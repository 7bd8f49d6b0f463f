"""A user's profile, checked: home place, reach, time zone, weekly availability (in
`planner.availability`) and budget."""

from __future__ import annotations

import functools
import unicodedata
import zoneinfo
from typing import Any

from sqlalchemy.orm import Session

from planner.availability import (
    ALL_SLOTS,
    AvailabilityError,
    parse_slots,
    sort_slots,
)
from planner.models import User

RADIUS_KM = (1, 20000)
PER_WEEK = (0, 50)
PER_MONTH = (0, 200)
MAX_HOME = 300
MAX_NAME = 200


class ProfileError(Exception):
    """Profile input that cannot be used: `errors` maps each field to a message for the user."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def parse_availability(text: str) -> list[str]:
    """Slots from plain words (`planner.availability.parse_slots`), or a `ProfileError`."""
    try:
        return parse_slots(text)
    except AvailabilityError as exc:
        raise ProfileError({"availability": str(exc)}) from None


# --- checking input ---


@functools.cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def zone_names() -> list[str]:
    """Every IANA time zone name this machine knows, sorted."""
    return sorted(_zones().values())


def check_timezone(name: str) -> str:
    """The IANA name as spelled in the database ("europe/berlin" -> "Europe/Berlin")."""
    found = _zones().get(name.strip().lower())
    if found is None:
        example = "e.g. Europe/Berlin or America/New_York"
        raise ProfileError(
            {"timezone": f"'{name.strip()[:64]}' is not a time zone name, {example}"}
        )
    return found


_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def clean_text(text: str | None, limit: int) -> str | None:
    """One line of user text: control characters and bidi overrides out, spaces collapsed,
    at most `limit` characters; None when nothing is left."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text or "")
    cleaned = " ".join(kept.translate(_BIDI).split())
    return cleaned[:limit] or None


def _in_range(errors: dict[str, str], field: str, value: Any, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors[field] = f"choose a whole number from {low} to {high}"


def _check_budget(errors: dict[str, str], user: User, changes: dict[str, Any]) -> None:
    week = changes.get("events_per_week", user.events_per_week)
    month = changes.get("events_per_month", user.events_per_month)
    _in_range(errors, "events_per_week", week, PER_WEEK)
    _in_range(errors, "events_per_month", month, PER_MONTH)
    if not errors.keys() & {"events_per_week", "events_per_month"} and month < week:
        errors["events_per_month"] = f"a month holds at least a week: choose {week} or more"


def _check_zone(errors: dict[str, str], user: User, values: dict[str, Any]) -> None:
    """A chosen zone is checked; with `timezone_auto` the home place decides, so none is kept."""
    if "timezone" not in values:
        return
    if values.get("timezone_auto", user.timezone_auto):
        del values["timezone"]
        return
    try:
        values["timezone"] = check_timezone(values["timezone"])
    except ProfileError as exc:
        errors.update(exc.errors)


def _check_slots(errors: dict[str, str], values: dict[str, Any]) -> None:
    slots = values["availability"]
    unknown = sorted(set(slots) - set(ALL_SLOTS))
    if unknown:
        errors["availability"] = f"unknown time slot {unknown[0]!r}"
    elif not slots:
        errors["availability"] = "choose at least one time you could go to an event"
    values["availability"] = sort_slots(slots)


FIELDS = (
    "name",
    "home_location",
    "radius_km",
    "timezone",
    "timezone_auto",
    "availability",
    "events_per_week",
    "events_per_month",
    "online_ok",
)  # the User columns a profile sets


def check_profile(user: User, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes (User column -> value, see FIELDS) cleaned and checked against `user`'s profile;
    ProfileError names every bad field at once."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"not profile fields: {', '.join(sorted(unknown))}")
    errors: dict[str, str] = {}
    values = dict(changes)
    if "name" in values:
        values["name"] = clean_text(values["name"], MAX_NAME)
    if "home_location" in values:
        if len(values["home_location"] or "") > MAX_HOME:
            errors["home_location"] = f"say it in at most {MAX_HOME} characters"
        values["home_location"] = clean_text(values["home_location"], MAX_HOME)
    if "radius_km" in values:
        _in_range(errors, "radius_km", values["radius_km"], RADIUS_KM)
    _check_budget(errors, user, values)
    _check_zone(errors, user, values)
    if "availability" in values:
        _check_slots(errors, values)
    if errors:
        raise ProfileError(errors)
    return values


def update_profile(session: Session, user: User, **changes: Any) -> bool:
    """Change the profile fields given (None: leave as is), all or none. A new home place
    forgets the old coordinates. True when the home place needs looking up: call
    `planner.geocode.enqueue_geocode("user", user.id)` after committing."""
    values = check_profile(user, {k: v for k, v in changes.items() if v is not None})
    lookup = False
    if "home_location" in values and values["home_location"] != user.home_location:
        user.home_lat = user.home_lon = user.home_geocoded_at = None
    if values.get("timezone_auto") and not user.timezone_auto:
        lookup = True  # the zone follows the home place again
    for field, value in values.items():
        setattr(user, field, value)
    session.flush()
    has_home = user.home_location is not None
    return has_home and (lookup or user.home_geocoded_at is None)


def describe_home(user: User) -> str:
    """Where the home place landed: "Portland, OR → 45.52, -122.68 · America/Los_Angeles"."""
    if not user.home_location:
        return "not set"
    if user.home_geocoded_at is None:
        return f"{user.home_location}: looking it up…"
    if user.home_lat is None or user.home_lon is None:
        return f"{user.home_location}: not found: try 'City, Country'"
    return f"{user.home_location} → {user.home_lat:.2f}, {user.home_lon:.2f} · {user.timezone}"
