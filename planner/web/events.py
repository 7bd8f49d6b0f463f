"""Events: the route table of the `events` blueprint; all upcoming events by day, one event's
page, and what the user says about an event (going, not interested, attended, whom they met)
and the follow-ups that calls for.

The recommendations, the week view and the serendipity switch live in `recommendations`.
Each button is a plain form (CSRF, a 303 back to the page it was on) that answers JSON to
`Accept: application/json`, so `static/planner.js` can send it without a page reload.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from planner import db
from planner.agenda import count_upcoming, event_for, upcoming_events, when
from planner.attendance import (
    AttendanceError,
    feedback_on,
    follow_ups,
    log_meetings,
    mark_followed_up,
    met_at,
    own_event,
    set_state,
    states_of,
)
from planner.matcher import ContactAtEvent
from planner.models import Contact, ContactEvidence, Event, User
from planner.recommend import contacts_at, enqueue_evidence
from planner.web import recommendations
from planner.web.auth import safe_next
from planner.web.viewer import viewer

bp = Blueprint("events", __name__)
DEFAULT_DAYS = 60
# what a mark says: by the new mark, or by (the mark before, "") when it is undone
SAID: dict[str | tuple[str, str], str] = {
    "going": "Going to “{title}”.",
    "dismissed": "Not interested in “{title}”: it leaves your picks.",
    "attended": "You went to “{title}”. Whom did you meet there?",
    ("going", ""): "No longer going to “{title}”.",
    ("dismissed", ""): "“{title}” is back among your picks.",
    ("attended", ""): "“{title}” is no longer marked as attended.",
    ("", ""): "Nothing to undo for “{title}”.",
}


def wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


def back(anchor: str = "") -> str:
    """Where the form came from (its `next` field, a path on this site), else the home page."""
    return safe_next(request.form.get("next")) + anchor


def refuse(message: str, status: int, anchor: str = "") -> tuple[Response, int] | Response:
    """A request that cannot be done: JSON for scripts, else a message on the page it came from."""
    if wants_json():
        return jsonify(ok=False, error=message), status
    if status == 404:
        abort(404)
    flash(message, "error")
    return redirect(back(anchor), 303)


def upcoming() -> str:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    days_ahead = request.args.get("days", DEFAULT_DAYS, type=int) or DEFAULT_DAYS
    days_ahead = max(1, min(days_ahead, 366))
    found = upcoming_events(session, user, now, until=now + timedelta(days=days_ahead))
    states = states_of(session, user, [event.id for event in found])
    days: dict[str, list[tuple[object, object, list[str], str]]] = {}
    for event in found:
        local = when(event, user.timezone)
        names = sorted(
            {
                link.source.name or link.source.url
                for link in event.links
                if link.source.owner_id == user.id
            }
        )
        days.setdefault(local.day, []).append((event, local, names, states.get(event.id, "")))
    later = count_upcoming(session, user, now + timedelta(days=days_ahead))
    return render_template(
        "events/upcoming.html",
        days=days,
        user=user,
        count=len(found),
        has_sources=bool(user.sources),
        days_ahead=days_ahead,
        later=later,
    )


def detail(event_id: int) -> str:
    session = db.session()
    user = viewer(session)
    event = event_for(session, user, event_id)
    if event is None:
        abort(404)
    now = datetime.now(UTC)
    links = [link for link in event.links if link.source.owner_id == user.id]
    mark = feedback_on(session, user, event.id)
    return render_template(
        "events/detail.html",
        event=event,
        local=when(event, user.timezone),
        links=links,
        user=user,
        state=mark.state if mark else "",
        past=event.start <= now,
        met=met_at(session, user, event),
        there=contacts_there(session, user, event),
        roles=recommendations.ROLE_SAID,
        here=request.full_path.rstrip("?"),
    )


def contacts_there(session: Session, user: User, event: Event) -> list[tuple[Contact, str, str]]:
    """The user's contacts the evidence job found at `event`: (contact, role, evidence)."""
    rows = session.execute(
        select(Contact, ContactEvidence.role, ContactEvidence.evidence)
        .join(ContactEvidence, ContactEvidence.contact_id == Contact.id)
        .where(ContactEvidence.event_id == event.id, ContactEvidence.owner_id == user.id)
        .order_by(ContactEvidence.strength.desc(), Contact.name)
    )
    said = recommendations.LIKELY_SAID
    return [(c, role, evidence.removeprefix(said).strip()) for c, role, evidence in rows]


def mark(event_id: int) -> tuple[Response, int] | Response:
    """Going / not interested / attended, or (an empty `state`) undo the mark."""
    session = db.session()
    user = viewer(session)
    anchor = f"#event-{event_id}"
    event = own_event(session, user, event_id)
    if event is None:
        return refuse("No such event.", 404)
    state = request.form.get("state", "").strip()
    before = feedback_on(session, user, event.id)
    was = before.state if before else ""
    now = datetime.now(UTC)
    try:
        set_state(session, user, event, state or None, now)
    except AttendanceError as exc:
        session.rollback()
        return refuse(sentence(exc), 400, anchor)
    session.commit()
    said = SAID[state or (was, "")].format(title=event.title)
    if not wants_json():
        flash(said, "ok")
        return redirect(back(anchor), 303)
    here = safe_next(request.form.get("next"))
    actions = render_template(
        "events/_actions.html", event=event, state=state, past=event.start <= now, here=here
    )
    return jsonify(ok=True, event_id=event.id, state=state, was=was, message=said, actions=actions)


def sentence(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


MAX_LISTED = 200  # contacts listed to tick, beyond those the event shows to be there
MAX_NEW = 30  # new people typed in at once


def met(event_id: int) -> Response | str | tuple[Response, int]:
    """Whom the user met at a past event: contacts ticked, new people typed in by name."""
    session = db.session()
    user = viewer(session)
    event = event_for(session, user, event_id)
    if event is None:
        abort(404)
    now = datetime.now(UTC)
    if event.start > now:
        flash("You can log whom you met once the event has begun.", "info")
        return redirect(url_for("events.detail", event_id=event.id), 303)
    if request.method == "POST":
        return _log_met(session, user, event, now)
    query = " ".join(request.args.get("q", "").split())[:100]
    logged = met_at(session, user, event)
    choices, more = meeting_choices(session, user, event, query, {c.id for c, _ in logged})
    return render_template(
        "events/met.html",
        event=event,
        local=when(event, user.timezone),
        logged=logged,
        choices=choices,
        more=more,
        query=query,
        said=recommendations.role_said,
    )


def meeting_choices(
    session: Session, user: User, event: Event, query: str, logged: set[int]
) -> tuple[list[tuple[Contact, ContactAtEvent | None]], int]:
    """The contacts to tick: those the event shows to be there (or likely) first, then the
    others by name, at most `MAX_LISTED` of those; with how many more matched."""
    claims = {claim.contact_id: claim for claim in contacts_at(session, user, event)}
    rows = session.scalars(
        select(Contact).where(Contact.owner_id == user.id).order_by(Contact.name, Contact.id)
    )
    words = query.casefold().split()
    found = [
        contact
        for contact in rows
        if contact.id not in logged and all(word in _searchable(contact) for word in words)
    ]
    order = list(claims)
    there = sorted((c for c in found if c.id in claims), key=lambda c: order.index(c.id))
    others = [c for c in found if c.id not in claims]
    listed = [(c, claims.get(c.id)) for c in there + others[:MAX_LISTED]]
    return listed, max(0, len(others) - MAX_LISTED)


def _searchable(contact: Contact) -> str:
    parts = (contact.name, contact.company, contact.title, contact.city, *(contact.tags or []))
    return " ".join(part for part in parts if part).casefold()


def _log_met(
    session: Session, user: User, event: Event, now: datetime
) -> Response | tuple[Response, int]:
    try:
        ids = sorted({int(value) for value in request.form.getlist("contact_ids")})
    except ValueError:
        return refuse("Tick contacts from the list.", 400)
    names = [line for line in request.form.get("new_names", "").splitlines() if line.strip()]
    if not ids and not names:
        flash("Tick someone you met, or type the name of someone new.", "error")
        return redirect(url_for("events.met", event_id=event.id), 303)
    met_on = when(event, user.timezone).start.date()
    try:
        log = log_meetings(session, user, event, ids, names[:MAX_NEW], met_on, now)
    except AttendanceError as exc:
        session.rollback()
        return refuse(sentence(exc), 400)
    session.commit()
    if log.added_contacts:
        enqueue_evidence(user.id)  # a new contact may be named on other events
    people = "1 person" if len(log.met) == 1 else f"{len(log.met)} people"
    said = f"Logged {people} you met at “{event.title}”"
    if log.added_contacts:
        said += f" ({len(log.added_contacts)} new in your contacts)"
    flash(f"{said}: a reminder to follow up comes in a few days.", "ok")
    return redirect(url_for("events.detail", event_id=event.id) + "#met", 303)


def follow_ups_page() -> str:
    session = db.session()
    user = viewer(session)
    today = recommendations.local_today(user, datetime.now(UTC))
    return render_template(
        "events/follow_ups.html",
        today=today,
        due=follow_ups(session, user, today),
        later=follow_ups(session, user, today, due=False),
        here=request.full_path.rstrip("?"),
    )


def follow_up_done(meeting_id: int) -> tuple[Response, int] | Response:
    session = db.session()
    user = viewer(session)
    try:
        meeting = mark_followed_up(session, user, meeting_id, datetime.now(UTC))
    except AttendanceError:
        return refuse("No such follow-up.", 404)
    session.commit()
    contact = session.get(Contact, meeting.contact_id)
    said = f"Followed up with {contact.name if contact else 'them'}."
    if wants_json():
        return jsonify(ok=True, meeting_id=meeting.id, state="done", message=said)
    flash(said, "ok")
    return redirect(back(f"#follow-up-{meeting.id}"), 303)


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'5 minutes ago', '3 days ago'; 'never' for None."""
    if moment is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 0:
        return "in the future"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


ROUTES: list[tuple[str, str, Any, list[str]]] = [
    ("/", "index", recommendations.home, ["GET"]),
    ("/weeks", "weeks", recommendations.weeks, ["GET"]),
    ("/settings/serendipity", "serendipity", recommendations.serendipity, ["POST"]),
    ("/upcoming", "upcoming", upcoming, ["GET"]),
    ("/events/<int:event_id>", "detail", detail, ["GET"]),
    ("/events/<int:event_id>/state", "mark", mark, ["POST"]),
    ("/events/<int:event_id>/met", "met", met, ["GET", "POST"]),
    ("/follow-ups", "follow_ups", follow_ups_page, ["GET"]),
    ("/follow-ups/<int:meeting_id>/done", "follow_up_done", follow_up_done, ["POST"]),
]
for rule, endpoint, view, methods in ROUTES:
    bp.add_url_rule(rule, endpoint, view, methods=methods)
