"""Profile: home place (looked up in the background), reach, time zone, free time and budget."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length

from planner import db
from planner.availability import ALL_SLOTS, DAY_NAMES, PART_HOURS, PRESETS, describe_availability
from planner.geocode import enqueue_geocode
from planner.models import DAYS, PARTS, User
from planner.profile import (
    FIELDS,
    MAX_NAME,
    PER_MONTH,
    PER_WEEK,
    RADIUS_KM,
    ProfileError,
    describe_home,
    parse_availability,
    update_profile,
    zone_names,
)
from planner.web.viewer import viewer

bp = Blueprint("profile", __name__, url_prefix="/profile")


def _bounds(bounds: tuple[int, int]) -> dict[str, Any]:
    return {"min": bounds[0], "max": bounds[1], "inputmode": "numeric"}


class ProfileForm(FlaskForm):
    # field names are the User columns they set (planner.profile.FIELDS)
    name = StringField("Your name", validators=[Length(max=MAX_NAME)])
    home_location = StringField("Home place", render_kw={"placeholder": "City, Country"})
    radius_km = IntegerField(
        "How far you would go (km)", validators=[InputRequired()], render_kw=_bounds(RADIUS_KM)
    )
    timezone_auto = BooleanField("Derive the time zone from the home place")
    timezone = StringField("Time zone", render_kw={"list": "zones", "autocomplete": "off"})
    availability = SelectMultipleField("When you are free", choices=list(ALL_SLOTS))
    availability_words = StringField(
        "Or say it in words", render_kw={"list": "presets", "autocomplete": "off"}
    )
    events_per_week = IntegerField(
        "Events per week, at most", validators=[InputRequired()], render_kw=_bounds(PER_WEEK)
    )
    events_per_month = IntegerField(
        "Events per month, at most", validators=[InputRequired()], render_kw=_bounds(PER_MONTH)
    )
    online_ok = BooleanField("Online events are welcome too")


@bp.route("/", methods=["GET", "POST"])
def index() -> Response | str | tuple[str, int]:
    session = db.session()
    user = viewer(session)
    form = ProfileForm(obj=user)
    if request.method == "GET":
        return _page(form, user)
    if not form.validate_on_submit():
        return _page(form, user), 400
    try:
        lookup = update_profile(session, user, **_changes(form))
    except ProfileError as exc:
        session.rollback()
        _show(form, exc)
        return _page(form, user), 400
    session.commit()
    if lookup:
        enqueue_geocode("user", user.id)
    flash("Profile saved." + (" Looking up your home place…" if lookup else ""), "ok")
    return redirect(url_for("profile.index"))


def _changes(form: ProfileForm) -> dict[str, Any]:
    """What the form says, for `update_profile`; words, when given, replace the ticked slots."""
    changes = {field: getattr(form, field).data for field in FIELDS}
    changes["name"] = changes["name"] or ""  # empty clears it (None would leave it as it was)
    changes["home_location"] = changes["home_location"] or ""
    changes["timezone"] = changes["timezone"] or ""
    words = (form.availability_words.data or "").strip()
    if words:
        try:
            changes["availability"] = parse_availability(words)
        except ProfileError as exc:
            raise ProfileError({"availability_words": exc.errors["availability"]}) from None
    return changes


def _show(form: ProfileForm, exc: ProfileError) -> None:
    """Each message next to its field, as a sentence."""
    for field, message in exc.errors.items():
        getattr(form, field).errors = [message[:1].upper() + message[1:] + "."]


def _page(form: ProfileForm, user: User) -> str:
    chosen = set(form.availability.data or [])
    return render_template(
        "profile/index.html",
        form=form,
        user=user,
        home=describe_home(user),
        chosen=chosen,
        described=describe_availability(chosen),
        days=[(day, DAY_NAMES[day]) for day in DAYS],
        parts=[(part, f"{PART_HOURS[part][0]:%H}–{PART_HOURS[part][1]:%H}") for part in PARTS],
        presets=list(PRESETS),
        zones=zone_names(),
    )
