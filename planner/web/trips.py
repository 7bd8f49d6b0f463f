"""Trips: the list (now, coming up, past) with where each city landed; adding, editing and
removing one. Only the viewer's own trips: anyone else's is a 404, by URL guessing included."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length

from planner import db
from planner.geocode import cached_place, enqueue_geocode
from planner.models import Trip, User
from planner.trips import (
    MAX_CITY,
    TripError,
    add_trip,
    describe_place,
    phase,
    remove_trip,
    span,
    today_of,
    trip_of,
    trips_of,
    update_trip,
)
from planner.web.viewer import viewer

bp = Blueprint("trips", __name__, url_prefix="/trips")


class TripForm(FlaskForm):
    city = StringField(
        "City",
        validators=[InputRequired("Name the city you travel to."), Length(max=MAX_CITY)],
        render_kw={"maxlength": MAX_CITY, "placeholder": "City, Country"},
    )
    starts_on = DateField("From", validators=[InputRequired("Choose the first day.")])
    ends_on = DateField("To (the last day)", validators=[InputRequired("Choose the last day.")])


class ActionForm(FlaskForm):
    """Only the CSRF token."""


@bp.get("/")
def index() -> str:
    return _list(TripForm(), viewer(db.session()))


@bp.post("/")
def add() -> Response | tuple[str, int]:
    session = db.session()
    user = viewer(session)
    form = TripForm()
    if not form.validate_on_submit():
        return _list(form, user), 400
    try:
        trip = add_trip(session, user, *_values(form), datetime.now(UTC))
    except TripError as exc:
        session.rollback()
        getattr(form, exc.field).errors = [str(exc)]
        return _list(form, user), 400
    session.commit()
    enqueue_geocode("trip", trip.id)
    flash(f"Added your trip to {trip.city}, {span(trip)}. Looking the city up…", "ok")
    return redirect(url_for("trips.index"))


@bp.route("/<int:trip_id>", methods=["GET", "POST"])
def edit(trip_id: int) -> Response | str | tuple[str, int]:
    session = db.session()
    user = viewer(session)
    trip = _own(user, trip_id)
    form = TripForm(obj=trip)
    if request.method == "GET":
        return _edit_page(form, trip)
    if not form.validate_on_submit():
        return _edit_page(form, trip), 400
    try:
        relocate = update_trip(trip, user, *_values(form), datetime.now(UTC))
    except TripError as exc:
        session.rollback()
        getattr(form, exc.field).errors = [str(exc)]
        return _edit_page(form, trip), 400
    session.commit()
    if relocate:
        enqueue_geocode("trip", trip.id)
    flash(f"Saved your trip to {trip.city}, {span(trip)}.", "ok")
    return redirect(url_for("trips.index"))


@bp.post("/<int:trip_id>/remove")
def remove(trip_id: int) -> Response:
    session = db.session()
    trip = _own(viewer(session), trip_id)
    label = f"{trip.city}, {span(trip)}"
    remove_trip(session, trip)
    session.commit()
    flash(f"Removed your trip to {label}.", "ok")
    return redirect(url_for("trips.index"))


def _own(user: User, trip_id: int) -> Trip:
    """The viewer's trip `trip_id`, else 404 (someone else's trip included); a POST also needs
    a valid CSRF token."""
    trip = trip_of(db.session(), user, trip_id)
    if trip is None or (request.method == "POST" and not ActionForm().validate_on_submit()):
        abort(404)
    return trip


def _values(form: TripForm) -> tuple[str, date, date]:
    starts_on, ends_on = form.starts_on.data, form.ends_on.data
    assert starts_on is not None and ends_on is not None  # InputRequired and a valid date
    return form.city.data or "", starts_on, ends_on


def where(trip: Trip) -> tuple[str, str]:
    """The trip city's lookup state and where it landed, named as the geocoder named it."""
    found = trip.lat is not None and trip.geocoded_at is not None
    return describe_place(trip, cached_place(db.session(), trip.city) if found else None)


def _list(form: TripForm, user: User) -> str:
    today = today_of(user, datetime.now(UTC))
    groups: dict[str, list[Trip]] = {"current": [], "upcoming": [], "past": []}
    for trip in trips_of(db.session(), user):
        groups[phase(trip, today)].append(trip)
    groups["past"].reverse()  # the latest first
    return render_template(
        "trips/index.html",
        form=form,
        groups=groups,
        action_form=ActionForm(),
        span=span,
        where=where,
    )


def _edit_page(form: TripForm, trip: Trip) -> str:
    return render_template(
        "trips/edit.html", form=form, trip=trip, action_form=ActionForm(), span=span, where=where
    )
