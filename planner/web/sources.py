"""Sources: each one's health, adding one, refreshing now."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from planner import db
from planner.agenda import sources_of, upcoming_count
from planner.jobs import enqueue_refresh
from planner.models import Source
from planner.sources import SourceError, add_source, remove_source
from planner.web.viewer import viewer

bp = Blueprint("sources", __name__, url_prefix="/sources")


class SourceForm(FlaskForm):
    url = StringField("Feed or page URL", validators=[DataRequired(), Length(max=2000)])
    name = StringField("Name (optional)", validators=[Length(max=300)])


class RefreshForm(FlaskForm):
    """Only the CSRF token."""


@bp.get("/")
def index() -> str:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    rows = [(s, upcoming_count(session, s, now)) for s in sources_of(session, user)]
    return render_template(
        "sources/index.html",
        rows=rows,
        form=SourceForm(),
        refresh_form=RefreshForm(),
        user=user,
        now=now,
    )


@bp.post("/")
def add() -> Response | tuple[str, int]:
    session = db.session()
    user = viewer(session)
    form = SourceForm()
    if not form.validate_on_submit():
        return _invalid(form, user)
    try:
        source = add_source(
            session, user, form.url.data or "", name=form.name.data or None, now=datetime.now(UTC)
        )
    except SourceError as exc:
        session.rollback()
        form.url.errors = [str(exc)]
        return _invalid(form, user)
    session.commit()
    enqueue_refresh(source.id)
    flash(f"Added {source.url}.", "ok")
    return redirect(url_for("sources.index"))


def _invalid(form: SourceForm, user: object) -> tuple[str, int]:
    session = db.session()
    now = datetime.now(UTC)
    rows = [(s, upcoming_count(session, s, now)) for s in sources_of(session, user)]  # type: ignore[arg-type]
    return render_template(
        "sources/index.html", rows=rows, form=form, refresh_form=RefreshForm(), user=user, now=now
    ), 400


def _own_source(source_id: int) -> Source:
    """The viewer's source `source_id` from a form with a valid CSRF token, else 404."""
    session = db.session()
    user = viewer(session)
    source = session.get(Source, source_id)
    if source is None or source.owner_id != user.id or not RefreshForm().validate_on_submit():
        abort(404)
    return source


@bp.post("/<int:source_id>/refresh")
def refresh(source_id: int) -> Response:
    source = _own_source(source_id)
    enqueue_refresh(source.id)
    flash(f"Refresh of {source.name or source.url} started.", "ok")
    return redirect(url_for("sources.index"))


@bp.post("/<int:source_id>/remove")
def remove(source_id: int) -> Response:
    source = _own_source(source_id)
    label = source.name or source.url
    session = db.session()
    count = remove_source(session, source, datetime.now(UTC))
    session.commit()
    flash(
        f"Removed {label} ({count} events it listed are no longer shown unless another "
        "source lists them).",
        "ok",
    )
    return redirect(url_for("sources.index"))
