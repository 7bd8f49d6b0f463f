"""`planner users create|set-password|list|show`: accounts and their profiles, for scripted
set-ups. Creating a user looks the home place up right away (the command line is no web request)
and says where it landed."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import click

from planner.commands import Usage, known_user, with_app

# the option that sets each profile field, to name it in an error
OPTIONS = {
    "name": "--name",
    "home_location": "--home",
    "radius_km": "--radius-km",
    "timezone": "--timezone",
    "availability": "--available",
    "events_per_week": "--per-week",
    "events_per_month": "--per-month",
}


@click.group()
def users() -> None:
    """Accounts and their profiles: home, reach, time zone, free time, budget."""


def _read_line() -> str:
    """The first line of standard input, without its line ending (a password may end in
    spaces)."""
    return (sys.stdin.readline() or "").rstrip("\r\n")


def _terminal() -> bool:
    """Whether standard input is a terminal (a person typing), not a pipe or a file."""
    return sys.stdin.isatty()


def _profile_error(exc: Exception) -> Usage:
    errors = getattr(exc, "errors", {})
    return Usage("; ".join(f"{OPTIONS.get(k, k)}: {m}" for k, m in errors.items()) or str(exc))


def _profile_changes(options: dict[str, Any]) -> dict[str, Any]:
    """The profile the options of `users create` give (None: the default)."""
    from planner.profile import parse_availability

    words = options["available"]
    return {
        "home_location": options["home"],
        "radius_km": options["radius_km"],
        "timezone": options["zone"],
        "timezone_auto": options["zone"] is None,
        "availability": parse_availability(words) if words is not None else None,
        "events_per_week": options["per_week"],
        "events_per_month": options["per_month"],
        "online_ok": not options["no_online"],
    }


@users.command("create")
@click.argument("email")
@click.option("--home", required=True, help="home place: a city, or 'City, Country'")
@click.option("--radius-km", type=int, help="how far you would go to an event [default: 25]")
@click.option("--name", help="the name shown for the account")
@click.option("--timezone", "zone", help="IANA time zone [default: the home place's]")
@click.option("--available", help="free time in words, e.g. 'weekday evenings, saturday'")
@click.option("--per-week", type=int, help="events a week, at most [default: 2]")
@click.option("--per-month", type=int, help="events a month, at most [default: 6]")
@click.option("--no-online", is_flag=True, help="online events are not welcome")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@with_app
def create(email: str, **options: Any) -> None:
    """Create an account with its profile. Without --password-stdin it cannot sign in until
    `planner users set-password EMAIL`."""
    from planner import db as database
    from planner.accounts import AccountError, create_user
    from planner.profile import ProfileError, update_profile

    password = _read_line() if options["password_stdin"] else None
    with database.transaction() as session:
        try:
            user = create_user(session, email, password, datetime.now(UTC), options["name"])
            update_profile(session, user, **_profile_changes(options))
        except AccountError as exc:
            raise Usage(str(exc)) from None
        except ProfileError as exc:
            raise _profile_error(exc) from None
    click.echo(f"created {user.email}" + ("" if password else " (no password: cannot sign in)"))
    _locate_home(user.id)


def _locate_home(user_id: int) -> None:
    """Geocode the home place now and say where it landed, or warn."""
    from planner import db as database
    from planner.geo import GeoError
    from planner.geocode import geocode_user
    from planner.models import User
    from planner.profile import describe_home

    try:
        geocode_user(user_id)
    except GeoError as exc:
        click.echo(f"planner: warning: home place not looked up: {exc}", err=True)
        return
    user = database.session().get(User, user_id)
    assert user is not None
    if user.home_lat is None:
        click.echo(
            f"planner: warning: {user.home_location!r} was not found: try 'City, Country' "
            f"(time zone stays {user.timezone})",
            err=True,
        )
    else:
        click.echo(f"home: {describe_home(user)}")


@users.command("set-password")
@click.argument("email")
@with_app
def set_password_command(email: str) -> None:
    """Set the account's password: read from standard input when it is not a terminal, else
    asked for twice. Other sessions of the account end."""
    from planner import db as database
    from planner.accounts import AccountError, set_password

    with database.transaction() as session:
        user = known_user(session, email)
        if _terminal():
            password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
        else:
            password = _read_line()
        try:
            set_password(user, password)
        except AccountError as exc:
            raise Usage(str(exc)) from None
    click.echo(f"password set for {user.email}; its other sessions are signed out")


@users.command("list")
@with_app
def list_users() -> None:
    """Every account: email, whether it can sign in, where its home is."""
    from sqlalchemy import select

    from planner import db as database
    from planner.models import User
    from planner.profile import describe_home

    session = database.session()
    for user in session.scalars(select(User).order_by(User.email)):
        access = "password" if user.password_hash else "no password"
        click.echo(f"{user.id:>4}  {user.email:<30}  {access:<11}  home: {describe_home(user)}")


@users.command("show")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@with_app
def show(email: str, as_json: bool) -> None:
    """The account's profile and goals."""
    from planner import db as database
    from planner.goals import goals_of

    session = database.session()
    user = known_user(session, email)
    profile = profile_json(user, goals_of(session, user))
    if as_json:
        click.echo(json.dumps(profile, indent=2, ensure_ascii=False))
        return
    click.echo("\n".join(_profile_lines(user, profile)))


def profile_json(user: Any, goals: list[Any]) -> dict[str, Any]:
    from planner.availability import describe_availability

    return {
        "email": user.email,
        "name": user.name,
        "can_sign_in": bool(user.password_hash),
        "home": user.home_location,
        "home_lat": user.home_lat,
        "home_lon": user.home_lon,
        "home_looked_up_at": user.home_geocoded_at.isoformat() if user.home_geocoded_at else None,
        "timezone": user.timezone,
        "timezone_auto": user.timezone_auto,
        "radius_km": user.radius_km,
        "availability": list(user.availability),
        "availability_words": describe_availability(user.availability),
        "events_per_week": user.events_per_week,
        "events_per_month": user.events_per_month,
        "online_ok": user.online_ok,
        "goals": [
            {"id": g.id, "text": g.text, "priority": g.priority, "paused": g.paused} for g in goals
        ],
    }


def _profile_lines(user: Any, profile: dict[str, Any]) -> list[str]:
    from planner.profile import describe_home

    paused = sum(goal["paused"] for goal in profile["goals"])
    sign_in = "yes" if profile["can_sign_in"] else "no (planner users set-password EMAIL)"
    return [
        user.email + (f" ({user.name})" if user.name else ""),
        f"  can sign in:  {sign_in}",
        f"  home:         {describe_home(user)}",
        f"  reach:        {user.radius_km} km",
        f"  time zone:    {user.timezone}" + (" (from the home place)" * user.timezone_auto),
        f"  free:         {profile['availability_words']}",
        f"  budget:       {user.events_per_week} a week, {user.events_per_month} a month",
        f"  online:       {'welcome' if user.online_ok else 'not wanted'}",
        f"  goals:        {len(profile['goals'])}" + (f" ({paused} paused)" if paused else ""),
    ]
