"""Goals: the list, adding, editing, pausing, resuming and removing; only the viewer's own."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField

from planner import db
from planner.goals import (
    MAX_TEXT,
    PRIORITIES,
    GoalError,
    add_goal,
    goal_of,
    goals_of,
    pause_goal,
    remove_goal,
    resume_goal,
    update_goal,
)
from planner.models import Goal, User
from planner.web.viewer import viewer

bp = Blueprint("goals", __name__, url_prefix="/goals")


class GoalForm(FlaskForm):
    text = StringField(
        "Goal",
        render_kw={"maxlength": MAX_TEXT, "placeholder": "e.g. meet Rust developers"},
    )
    priority = SelectField(
        "Priority",
        choices={number: f"{number} · {word}" for number, word in PRIORITIES.items()},
        coerce=int,
        default=2,
    )


class ActionForm(FlaskForm):
    """Only the CSRF token."""


@bp.get("/")
def index() -> str:
    session = db.session()
    return _list(GoalForm(), viewer(session))


@bp.post("/")
def add() -> Response | tuple[str, int]:
    session = db.session()
    user = viewer(session)
    form = GoalForm()
    if not form.validate_on_submit():
        return _list(form, user), 400
    try:
        goal = add_goal(session, user, form.text.data or "", form.priority.data, _now())
    except GoalError as exc:
        session.rollback()
        form.text.errors = [_sentence(exc)]
        return _list(form, user), 400
    session.commit()
    flash(f"Added “{goal.text}”.", "ok")
    return redirect(url_for("goals.index"))


@bp.route("/<int:goal_id>", methods=["GET", "POST"])
def edit(goal_id: int) -> Response | str | tuple[str, int]:
    session = db.session()
    goal = _own(goal_id)
    form = GoalForm(obj=goal)
    if request.method == "GET":
        return _edit_page(form, goal)
    if not form.validate_on_submit():
        return _edit_page(form, goal), 400
    try:
        update_goal(session, goal, _now(), text=form.text.data or "", priority=form.priority.data)
    except GoalError as exc:
        session.rollback()
        form.text.errors = [_sentence(exc)]
        return _edit_page(form, goal), 400
    session.commit()
    flash(f"Saved “{goal.text}”.", "ok")
    return redirect(url_for("goals.index"))


@bp.post("/<int:goal_id>/pause")
def pause(goal_id: int) -> Response:
    goal = _own(goal_id)
    pause_goal(goal, _now())
    db.session().commit()
    flash(f"Paused “{goal.text}”: it no longer steers recommendations.", "ok")
    return redirect(url_for("goals.index"))


@bp.post("/<int:goal_id>/resume")
def resume(goal_id: int) -> Response:
    goal = _own(goal_id)
    resume_goal(goal, _now())
    db.session().commit()
    flash(f"Resumed “{goal.text}”.", "ok")
    return redirect(url_for("goals.index"))


@bp.post("/<int:goal_id>/remove")
def remove(goal_id: int) -> Response:
    goal = _own(goal_id)
    text = goal.text
    session = db.session()
    remove_goal(session, goal)
    session.commit()
    flash(f"Removed “{text}”.", "ok")
    return redirect(url_for("goals.index"))


def _own(goal_id: int) -> Goal:
    """The viewer's goal `goal_id`, else 404 (someone else's goal included); a POST also needs
    a valid CSRF token."""
    session = db.session()
    goal = goal_of(session, viewer(session), goal_id)
    if goal is None or (request.method == "POST" and not ActionForm().validate_on_submit()):
        abort(404)
    return goal


def _now() -> datetime:
    return datetime.now(UTC)


def _sentence(exc: Exception) -> str:
    message = str(exc)
    return message[:1].upper() + message[1:] + "."


def _list(form: GoalForm, user: User) -> str:
    return render_template(
        "goals/index.html",
        form=form,
        goals=goals_of(db.session(), user),
        action_form=ActionForm(),
        priorities=PRIORITIES,
    )


def _edit_page(form: GoalForm, goal: Goal) -> str:
    return render_template(
        "goals/edit.html",
        form=form,
        goal=goal,
        action_form=ActionForm(),
        priorities=PRIORITIES,
    )
