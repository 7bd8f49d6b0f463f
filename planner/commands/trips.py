"""`planner trips add|list|remove|locate`: where a user travels, and when."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click

from planner.commands import Usage, known_user, now_option, parse_now, with_app

USER_HELP = "whose trips (default: the local owner)"


@click.group()
def trips() -> None:
    """Trips: while away, "near" means near the trip's city."""


def parse_day(value: str, name: str) -> date:
    """A YYYY-MM-DD date, or a usage error."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise Usage(f"{name} {value!r} is not a date: use YYYY-MM-DD") from None


@trips.command("add")
@click.argument("city")
@click.argument("starts_on", metavar="FROM")
@click.argument("ends_on", metavar="TO")
@click.option("--user", "email", help=USER_HELP)
@now_option
@with_app
def trips_add(city: str, starts_on: str, ends_on: str, email: str | None, now: str | None) -> None:
    """Travel to CITY from FROM to TO (YYYY-MM-DD, both days included); the city is looked up
    at once."""
    from planner import db as database
    from planner.trips import TripError, add_trip

    moment = parse_now(now)
    first, last = parse_day(starts_on, "FROM"), parse_day(ends_on, "TO")
    with database.transaction() as session:
        try:
            trip = add_trip(session, known_user(session, email), city, first, last, moment)
        except TripError as exc:
            raise Usage(str(exc)) from None
    click.echo(f"trip {trip.id}: {trip.city}, {first} to {last}")
    _locate(trip.id, moment)


@trips.command("locate")
@click.argument("trip_id", type=int)
@click.option("--user", "email", help=USER_HELP)
@now_option
@with_app
def trips_locate(trip_id: int, email: str | None, now: str | None) -> None:
    """Look up the city of a trip again (after a failed lookup, or another geocoder)."""
    from planner import db as database

    session = database.session()
    _own_trip(session, email, trip_id)
    session.commit()
    _locate(trip_id, parse_now(now))


def _locate(trip_id: int, moment: datetime) -> None:
    """Geocode the trip here and now, and say where it landed (a warning when nowhere)."""
    from planner import db as database
    from planner.geo import GeoError
    from planner.geocode import cached_place, geocode_trip
    from planner.models import Trip
    from planner.trips import describe_place

    try:
        geocode_trip(trip_id, moment.isoformat())
    except GeoError as exc:
        database.session().rollback()
        click.echo(f"planner: warning: {exc}; try `planner trips locate {trip_id}` later", err=True)
        return
    session = database.session()
    trip = session.get(Trip, trip_id)
    assert trip is not None
    state, text = describe_place(trip, cached_place(session, trip.city))
    if state == "found":
        click.echo(f"  located: {text}")
    else:
        click.echo(
            f"planner: warning: {trip.city!r} was not found: events there cannot be told near "
            "or far; try `City, Country`",
            err=True,
        )


@trips.command("list")
@click.option("--user", "email", help=USER_HELP)
@now_option
@with_app
def trips_list(email: str | None, now: str | None) -> None:
    """Each trip: id, days, city, where it landed, and whether it is past, current or coming."""
    from planner import db as database
    from planner.geocode import cached_place
    from planner.trips import describe_place, phase, today_of, trips_of

    session = database.session()
    user = known_user(session, email)
    today = today_of(user, parse_now(now))
    for trip in trips_of(session, user):
        place = cached_place(session, trip.city) if trip.lat is not None else None
        _, text = describe_place(trip, place)
        click.echo(
            f"{trip.id:>4}  {trip.starts_on} to {trip.ends_on}  {phase(trip, today):<8}  "
            f"{trip.city}  ({text})"
        )
    session.commit()


@trips.command("remove")
@click.argument("trip_id", type=int)
@click.option("--user", "email", help=USER_HELP)
@with_app
def trips_remove(trip_id: int, email: str | None) -> None:
    """Forget a trip."""
    from planner import db as database
    from planner.trips import remove_trip

    with database.transaction() as session:
        trip = _own_trip(session, email, trip_id)
        label = f"{trip.city}, {trip.starts_on} to {trip.ends_on}"
        remove_trip(session, trip)
    click.echo(f"removed trip {trip_id} ({label})")


def _own_trip(session: Any, email: str | None, trip_id: int) -> Any:
    """The user's trip `trip_id`; someone else's is as unknown as a missing one."""
    from planner.trips import trip_of

    trip = trip_of(session, known_user(session, email), trip_id)
    if trip is None:
        raise Usage(f"no trip {trip_id} (see `planner trips list`)")
    return trip
