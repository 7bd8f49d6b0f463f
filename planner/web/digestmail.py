"""The digest's mail on the web: "preview this week's digest", the mails written to the
instance folder without SMTP, the one-click unsubscribe (GET confirms, POST unsubscribes) and
the address confirmation link. Registered on the `digest` blueprint (planner/web/digest.py).

A mail's HTML is served on its own URL with a policy that allows its inline styles and nothing
else (no scripts, no requests), framed by the page that shows it."""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime
from email.message import EmailMessage

from flask import Response, abort, current_app, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from planner import db
from planner.confirmation import confirm_email
from planner.digest import gather
from planner.mail import MailError, digest_message, part, unsubscribe_claim
from planner.models import User
from planner.outbox import Outbox, transport_for
from planner.web.auth import public
from planner.web.viewer import viewer

log = logging.getLogger(__name__)
MAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)


def preview() -> str | tuple[str, int]:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    digest = gather(session, user, now)
    try:
        message = digest_message(user, digest, now)
    except MailError as exc:
        return render_template("digest/no_address.html", user=user, problem=exc.problem), 409
    session.commit()  # the user's mail key, when this made the first one
    return render_template(
        "digest/message.html",
        message=message,
        text=part(message, "plain"),
        frame=url_for("digest.preview_html"),
        digest=digest,
        kept=None,
    )


def preview_html() -> Response:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    try:
        message = digest_message(user, gather(session, user, now), now)
    except MailError:
        abort(409)
    session.commit()
    return _mail_html(message)


def outbox() -> Outbox | None:
    """The instance's outbox folder, when mail goes there (no SMTP server)."""
    found = transport_for(current_app.config, current_app.instance_path)
    return found if isinstance(found, Outbox) else None


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


def kept_html(name: str) -> Response:
    return _mail_html(_kept(name))


def _kept(name: str) -> EmailMessage:
    found = outbox()
    message = found.read(name, viewer(db.session()).id) if found is not None else None
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


@public
def confirm(token: str) -> str | tuple[str, int] | BaseResponse:
    """The link of the confirmation mail: the address is confirmed (GET: what the link in a
    mail does; it changes nothing but the confirmation, which is what opening it proves)."""
    session = db.session()
    found = confirm_email(session, current_app.config["SECRET_KEY"], token, datetime.now(UTC))
    if isinstance(found, str):
        return render_template("digest/confirm_failed.html", reason=found), 404
    session.commit()
    log.info("user %s confirmed their address", found.id)
    return render_template("digest/confirmed.html", user=found)
