"""The weekly email digest: settings, "preview this week's digest", the history of the weeks
sent (with what a person can do about a failed or interrupted one), the mails written to the
instance folder without SMTP, and the one-click unsubscribe (GET confirms, POST unsubscribes).

A mail's HTML is served on its own URL with a policy that allows its inline styles and nothing
else (no scripts, no requests), framed by the page that shows it."""

from __future__ import annotations

import hmac
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, SelectField

from planner import db
from planner.digest import gather, slot, week_of
from planner.jobs import enqueue
from planner.mail import digest_message, new_mail_key, part, unsubscribe_claim
from planner.matcher.place import zone
from planner.models import DigestSend, User
from planner.outbox import Outbox, deliverable, transport_for
from planner.sending import resend_digest, settle, state_of
from planner.web.auth import public
from planner.web.viewer import viewer

bp = Blueprint("digest", __name__)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HISTORY = 26  # weeks shown
STATE_WORDS = {
    "sent": "sent", "empty": "nothing to send", "failed": "failed", "skipped": "skipped",
    "interrupted": "interrupted", "sending": "sending…",
}  # fmt: skip
MAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)


class DigestForm(FlaskForm):
    enabled = BooleanField("Send me the weekly digest")
    weekday = SelectField("Day", choices=dict(enumerate(WEEKDAYS)), coerce=int)
    hour = SelectField("Time", choices={h: f"{h:02d}:00" for h in range(24)}, coerce=int)


class ActionForm(FlaskForm):
    """Only the CSRF token."""


@bp.route("/digest", methods=["GET", "POST"])
def index() -> BaseResponse | str | tuple[str, int]:
    session = db.session()
    user = viewer(session)
    form = DigestForm(
        data={
            "enabled": user.digest_enabled,
            "weekday": user.digest_weekday,
            "hour": user.digest_hour,
        }
    )
    if form.is_submitted():
        if not form.validate():
            return _page(form, user), 400
        user.digest_enabled = bool(form.enabled.data)
        user.digest_weekday, user.digest_hour = form.weekday.data, form.hour.data
        session.commit()
        flash("Digest settings saved." if user.digest_enabled else "Weekly digest off.", "ok")
        return redirect(url_for("digest.index"))
    return _page(form, user)


def _page(form: DigestForm, user: User) -> str:
    session = db.session()
    now = datetime.now(UTC)
    rows = list(
        session.scalars(
            select(DigestSend)
            .where(DigestSend.owner_id == user.id)
            .order_by(DigestSend.week.desc())
            .limit(HISTORY)
        )
    )
    week = week_of(now, user.timezone)
    this_week = next((row for row in rows if row.week == week), None)
    outbox = _outbox()
    return render_template(
        "digest/index.html",
        form=form,
        user=user,
        rows=rows,
        this_week=this_week,
        next_at=_next_at(user, now, this_week is not None),
        action_form=ActionForm(),
        local=lambda moment: _local(moment, user.timezone),
        week_span=week_span,
        row_state=lambda row: state_of(row, now),
        state_words=STATE_WORDS,
        status_words=lambda row: _status_words(row, state_of(row, now), user.timezone),
        kept=outbox.kept(user.id) if outbox is not None else None,
        smtp=bool(current_app.config.get("SMTP_URL")),
        reachable=deliverable(user.email, bool(current_app.config.get("SMTP_URL"))),
    )


def week_span(week: str) -> str:
    """The days of an ISO week, Monday to Sunday: "2026-W48" -> "23–29 Nov 2026"."""
    year, number = int(week[:4]), int(week[6:])
    monday = date.fromisocalendar(year, number, 1)
    sunday = monday + timedelta(days=6)
    first = f"{monday:%-d}" if monday.month == sunday.month else f"{monday:%-d %b}"
    return f"{first}–{sunday:%-d %b %Y}"


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(zone(timezone)).strftime("%a %-d %b, %H:%M")


def _status_words(row: DigestSend, state: str, timezone: str) -> str:
    started = _local(row.started_at, timezone)
    if state == "sent" and row.sent_at is None:
        return "Marked as sent by you."
    if state == "sent" and row.sent_at is not None:
        events = f"{row.events} event{'' if row.events == 1 else 's'}"
        return f"Sent {_local(row.sent_at, timezone)} to {row.recipient}, {events}."
    return {
        "empty": "Nothing worth sending that week: no mail.",
        "failed": f"Failed {started}: {row.error}",
        "skipped": "Skipped.",
        "interrupted": f"Interrupted {started}: "
        + (row.error or "may or may not have been sent")
        + ".",
        "sending": f"Being sent now (since {started}).",
    }.get(state, state)


def _next_at(user: User, now: datetime, done: bool) -> datetime | None:
    """When the next digest goes out (None: this week's is due now)."""
    this_week = slot(now, user.timezone, user.digest_weekday, user.digest_hour)
    if done or now >= this_week:
        later = slot(now, user.timezone, user.digest_weekday, user.digest_hour, weeks=1)
        return later if done else None
    return this_week


def _outbox() -> Outbox | None:
    found = transport_for(current_app.config, current_app.instance_path)
    return found if isinstance(found, Outbox) else None


@bp.get("/digest/preview")
def preview() -> str:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    digest = gather(session, user, now)
    message = digest_message(user, digest, now)
    session.commit()  # the user's mail key, when this made the first one
    return render_template(
        "digest/message.html",
        message=message,
        text=part(message, "plain"),
        frame=url_for("digest.preview_html"),
        digest=digest,
        kept=None,
    )


@bp.get("/digest/preview/mail.html")
def preview_html() -> Response:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    message = digest_message(user, gather(session, user, now), now)
    session.commit()
    return _mail_html(message)


@bp.get("/digest/outbox/<name>")
def kept(name: str) -> str:
    message = _kept(name)
    return render_template(
        "digest/message.html",
        message=message,
        text=part(message, "plain"),
        frame=url_for("digest.kept_html", name=name),
        digest=None,
        kept=name,
    )


@bp.get("/digest/outbox/<name>/mail.html")
def kept_html(name: str) -> Response:
    return _mail_html(_kept(name))


def _kept(name: str) -> EmailMessage:
    outbox = _outbox()
    message = outbox.read(name, viewer(db.session()).id) if outbox is not None else None
    if message is None:
        abort(404)
    return message


def _mail_html(message: EmailMessage) -> Response:
    """The HTML part alone, allowed its inline styles and nothing else."""
    response = Response(part(message, "html") or "", mimetype="text/html")
    response.headers["Content-Security-Policy"] = MAIL_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/digest/sends/<int:send_id>/again")
def again(send_id: int) -> BaseResponse:
    row = _open_row(send_id)
    if not viewer(db.session()).digest_enabled:
        flash("The weekly digest is off: turn it on to send this week's again.", "info")
        return redirect(url_for("digest.index"))
    stamp = row.started_at.isoformat()
    job_id = f"digest-again-{row.id}-{int(row.started_at.timestamp() * 1e6)}"
    enqueue(resend_digest, row.id, stamp, job_id=job_id, queue_name="mail", background=True)
    flash(f"Sending the digest of {row.week} again: reload this page in a moment.", "ok")
    return redirect(url_for("digest.index"))


@bp.post("/digest/sends/<int:send_id>/<any(sent, skipped):status>")
def mark(send_id: int, status: str) -> BaseResponse:
    row = _open_row(send_id)
    session = db.session()
    if settle(session, row.owner_id, row.id, status):
        session.commit()
        flash(f"{row.week}: marked as {status}.", "ok")
    return redirect(url_for("digest.index"))


def _open_row(send_id: int) -> DigestSend:
    """The viewer's failed or interrupted week `send_id`, after the CSRF check."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db.session()
    row = session.get(DigestSend, send_id)
    if row is None or row.owner_id != viewer(session).id:
        abort(404)
    if state_of(row, datetime.now(UTC)) not in ("failed", "interrupted"):
        flash(f"{row.week}: nothing to do, its digest is {row.status}.", "info")
        abort(redirect(url_for("digest.index")))
    return row


@bp.post("/digest/links/reset")
def reset_links() -> BaseResponse:
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db.session()
    viewer(session).mail_key = new_mail_key()
    session.commit()
    flash("The unsubscribe links of the mails sent so far no longer work.", "ok")
    return redirect(url_for("digest.index"))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str) -> str | tuple[str, int]:
    """GET: a page with the button; POST (the button, or a mail client's one-click
    "List-Unsubscribe=One-Click", which carries no CSRF token): unsubscribed."""
    session = db.session()
    claim = unsubscribe_claim(current_app.config["SECRET_KEY"], token)
    user = session.get(User, claim[0]) if claim is not None else None
    if claim is None or user is None or not hmac.compare_digest(user.mail_key or "", claim[1]):
        return render_template("digest/invalid.html"), 404
    done = request.method == "POST"
    if done and user.digest_enabled:
        user.digest_enabled = False
        session.commit()
    return render_template("digest/unsubscribe.html", user=user, done=done)


@bp.record_once
def _exempt_unsubscribe(_state: object) -> None:
    """The one view without a CSRF token: its secret is the signed token in the URL."""
    from planner.web import csrf

    csrf.exempt(unsubscribe)
