"""The weekly email digest's page: settings, the address confirmation mail goes out only after
(multi-user mode), the history of the digests sent (with what a person can do about a failed or
interrupted one) and the unsubscribe links. The pages of the mail itself (preview, outbox,
unsubscribe, the confirmation link) are planner/web/digestmail.py, on this blueprint."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, SelectField

from planner import db
from planner.confirmation import MAX_AGE, RESEND_AFTER, confirmed, request_confirmation
from planner.digestweek import due_week, slot, week_of
from planner.jobs import enqueue
from planner.mail import MailError, MailUncertain, new_mail_key
from planner.matcher.place import zone
from planner.models import DigestSend, User
from planner.outbox import deliverable
from planner.sending import COMPOSE_FAILED, may_resend, resend_digest, settle, state_of
from planner.web import digestmail
from planner.web.viewer import viewer

log = logging.getLogger(__name__)
bp = Blueprint("digest", __name__)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HISTORY = 26  # digests shown
STATE_WORDS = {
    "sent": "sent", "empty": "nothing to send", "failed": "failed", "skipped": "skipped",
    "interrupted": "interrupted", "sending": "sending…",
}  # fmt: skip
for _rule, _view, _methods in (
    ("/digest/preview", digestmail.preview, ["GET"]),
    ("/digest/preview/mail.html", digestmail.preview_html, ["GET"]),
    ("/digest/outbox/<name>", digestmail.kept, ["GET"]),
    ("/digest/outbox/<name>/mail.html", digestmail.kept_html, ["GET"]),
    ("/unsubscribe/<token>", digestmail.unsubscribe, ["GET", "POST"]),
    ("/confirm-email/<token>", digestmail.confirm, ["GET"]),
):
    bp.add_url_rule(_rule, view_func=_view, methods=_methods)


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
    this_week = next((row for row in rows if row.week == week_of(now, user.timezone)), None)
    outbox = digestmail.outbox()
    single = current_app.config["MODE"] == "single"
    return render_template(
        "digest/index.html",
        form=form,
        user=user,
        rows=rows,
        this_week=this_week,
        next_at=_next_at(user, now, {row.week for row in rows}),
        action_form=ActionForm(),
        local=lambda moment: _local(moment, user.timezone),
        day_of=lambda row: _day(row, user),
        row_state=lambda row: state_of(row, now),
        may_resend=lambda row: may_resend(row, now, user.timezone),
        state_words=STATE_WORDS,
        status_words=lambda row: _status_words(row, state_of(row, now), user.timezone),
        details=single,  # the local owner runs the server: the mail server's own words help
        kept=outbox.kept(user.id) if outbox is not None else None,
        smtp=bool(current_app.config.get("SMTP_URL")),
        reachable=deliverable(user.email, bool(current_app.config.get("SMTP_URL"))),
        unconfirmed=not confirmed(user, current_app.config["MODE"]),
        confirm_again_at=_confirm_again_at(user, now),
        confirm_days=MAX_AGE.days,
    )


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(zone(timezone)).strftime("%a %-d %b, %H:%M")


def _status_words(row: DigestSend, state: str, timezone: str) -> str:
    """What happened, in words for the account holder (the mail server's own words are for
    whoever runs it: `planner digest send`, `planner status`, the logs)."""
    started = _local(row.started_at, timezone)
    if state == "sent" and row.sent_at is None:
        return "Marked as sent by you."
    if state == "sent" and row.sent_at is not None:
        events = f"{row.events} event{'' if row.events == 1 else 's'}"
        return f"Sent {_local(row.sent_at, timezone)} to {row.recipient}, {events}."
    why = (
        "something went wrong while putting it together"
        if (row.error or "").startswith(COMPOSE_FAILED)
        else "the mail server did not take it"
    )
    return {
        "empty": "Nothing worth sending that week: no mail.",
        "failed": f"Not sent ({started}): {why}.",
        "skipped": "Skipped.",
        "interrupted": f"Cut off while being sent ({started}): it may or may not have arrived.",
        "sending": f"Being sent now (since {started}).",
    }.get(state, state)


def _next_at(user: User, now: datetime, done: set[str]) -> datetime | None:
    """When the next digest goes out (None: one is due now)."""
    when = (user.timezone, user.digest_weekday, user.digest_hour)
    due = due_week(now, *when, since=user.created_at)
    if due is not None and due not in done:
        return None
    for weeks in (0, 1, 2):
        at = slot(now, *when, weeks=weeks)
        if at > now and week_of(at, user.timezone) not in done:
            return at
    return slot(now, *when, weeks=3)


def _confirm_again_at(user: User, now: datetime) -> datetime | None:
    """While a confirmation mail was sent less than `RESEND_AFTER` ago: when another may be."""
    sent = user.confirm_sent_at
    return sent + RESEND_AFTER if sent is not None and now < sent + RESEND_AFTER else None


@bp.post("/digest/sends/<int:send_id>/again")
def again(send_id: int) -> BaseResponse:
    row = _open_row(send_id)
    user = viewer(db.session())
    label = _day(row, user)
    if not user.digest_enabled:
        flash("The weekly digest is off: turn it on to send this week's again.", "info")
    elif not may_resend(row, datetime.now(UTC), user.timezone):
        flash(f"The digest of {label} is too old to send again (it would say what is on now): "
              "mark it as sent or skip it.", "info")  # fmt: skip
    else:
        stamp = row.started_at.isoformat()
        job_id = f"digest-again-{row.id}-{int(row.started_at.timestamp() * 1e6)}"
        enqueue(resend_digest, row.id, stamp, job_id=job_id, queue_name="mail", background=True)
        flash(f"Sending the digest of {label} again: reload this page in a moment.", "ok")
    return redirect(url_for("digest.index"))


@bp.post("/digest/sends/<int:send_id>/<any(sent, skipped):status>")
def mark(send_id: int, status: str) -> BaseResponse:
    row = _open_row(send_id)
    session = db.session()
    if settle(session, row.owner_id, row.id, status):
        session.commit()
        flash(f"The digest of {_day(row, viewer(session))}: marked as {status}.", "ok")
    return redirect(url_for("digest.index"))


def _open_row(send_id: int) -> DigestSend:
    """The viewer's failed or interrupted digest `send_id`, after the CSRF check."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db.session()
    row = session.get(DigestSend, send_id)
    user = viewer(session)
    if row is None or row.owner_id != user.id:
        abort(404)
    state = state_of(row, datetime.now(UTC))
    if state not in ("failed", "interrupted"):
        words = STATE_WORDS.get(state, state).rstrip("…")
        flash(f"The digest of {_day(row, user)}: nothing to do, it is {words}.", "info")
        abort(redirect(url_for("digest.index")))
    return row


def _day(row: DigestSend, user: User) -> str:
    """The day a digest was (to be) sent, on the user's clock: "Sun 22 Nov 2026"."""
    return f"{row.started_at.astimezone(zone(user.timezone)):%a %-d %b %Y}"


@bp.post("/digest/links/reset")
def reset_links() -> BaseResponse:
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db.session()
    viewer(session).mail_key = new_mail_key()
    session.commit()
    flash("The unsubscribe links of the mails sent so far no longer work.", "ok")
    return redirect(url_for("digest.index"))


@bp.post("/digest/confirm")
def confirm_address() -> BaseResponse:
    """Mail the viewer a link that confirms their address (at most one per `RESEND_AFTER`)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db.session()
    user = viewer(session)
    if confirmed(user, current_app.config["MODE"]):
        flash(f"{user.email} is confirmed already.", "info")
    elif not deliverable(user.email, bool(current_app.config.get("SMTP_URL"))):
        flash(f"{user.email} cannot receive mail from this server.", "error")
    else:
        _request_confirmation(session, user)
    return redirect(url_for("digest.index"))


def _request_confirmation(session: Session, user: User) -> None:
    try:
        done = request_confirmation(session, user, datetime.now(UTC))
    except MailUncertain as exc:
        log.warning("confirmation mail to user %s: %s", user.id, exc)
        flash("The mail server did not answer in time: the mail may still arrive. If none "
              "comes, ask for another in 10 minutes.", "error")  # fmt: skip
        return
    except MailError as exc:
        log.warning("confirmation mail to user %s not sent: %s", user.id, exc)
        flash("The confirmation mail could not be sent just now: try again in a few minutes.",
              "error")  # fmt: skip
        return
    if done.sent:
        flash(f"A confirmation mail is on its way to {user.email}: open its link within "
              f"{MAX_AGE.days} days.", "ok")  # fmt: skip
    else:
        again = _local(done.again_at, user.timezone)
        flash(f"A confirmation mail went to {user.email} a few minutes ago: look for it, also "
              f"in the spam folder. Another can be sent from {again}.", "info")  # fmt: skip


@bp.record_once
def _exempt_unsubscribe(_state: object) -> None:
    """The one view without a CSRF token: its secret is the signed token in the URL."""
    from planner.web import csrf

    csrf.exempt(digestmail.unsubscribe)
