"""Confirming an account's email address: in multi-user mode mail goes only to an address its
owner showed they read, by opening a signed, expiring link mailed to it. (The local owner of a
single-user install needs none: its mail stays on this machine or goes to its own server.)

    confirmed(user, mode)                        # whether mail may go to the user's address
    may_mail(user, config)                       # ...and whether it can reach it
    request_confirmation(session, user, now)     # -> Requested: the link mailed, or not yet
    confirm_email(session, secret, token, now)   # -> the user, or "expired" / "invalid"

The token is signed with SECRET_KEY over the account and its address (an address changed since
makes it invalid) and expires after `MAX_AGE`; at most one mail per account per `RESEND_AFTER`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from planner.mail import MailError, MailUncertain, build_message
from planner.models import User
from planner.outbox import deliverable, transport_for

SALT = "confirm-email"
MAX_AGE = timedelta(days=3)
RESEND_AFTER = timedelta(minutes=10)
SUBJECT = "Confirm your address for planner’s weekly digest"


def confirmed(user: User, mode: str) -> bool:
    """Whether mail may go to the user's address: confirmed, or no confirmation asked for (the
    local owner in single-user mode)."""
    return mode != "multi" or user.email_confirmed_at is not None


def may_mail(user: User, config: Mapping[str, Any]) -> bool:
    """Whether a digest may go to the user: a confirmed address that mail can reach."""
    relay = bool(config.get("SMTP_URL"))
    return deliverable(user.email, relay, confirmed(user, str(config.get("MODE"))))


def confirm_token(secret: str, user: User) -> str:
    return URLSafeTimedSerializer(secret, salt=SALT).dumps({"u": user.id, "e": user.email})


def token_claim(secret: str, token: str) -> tuple[int, str] | str:
    """(user id, address) of a token this secret signed less than `MAX_AGE` ago; else
    "expired" or "invalid"."""
    serializer = URLSafeTimedSerializer(secret, salt=SALT)
    try:
        data = serializer.loads(token, max_age=int(MAX_AGE.total_seconds()))
    except SignatureExpired:
        return "expired"
    except BadSignature:
        return "invalid"
    user_id, email = (data.get("u"), data.get("e")) if isinstance(data, dict) else (None, None)
    if not isinstance(user_id, int) or not isinstance(email, str):
        return "invalid"
    return user_id, email


def confirm_email(session: Session, secret: str, token: str, now: datetime) -> User | str:
    """The account a valid token names, its address confirmed (the caller commits); "expired"
    or "invalid" (also when the account's address is no longer the one the link went to)."""
    claim = token_claim(secret, token)
    if isinstance(claim, str):
        return claim
    user = session.get(User, claim[0])
    if user is None or user.email != claim[1]:
        return "invalid"
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
    return user


@dataclass(frozen=True)
class Requested:
    """What a request for a confirmation mail did: `sent`, or not (one went less than
    `RESEND_AFTER` ago); `again_at`: when another may be sent."""

    sent: bool
    again_at: datetime


def request_confirmation(session: Session, user: User, now: datetime) -> Requested:
    """Mail the user a confirmation link, unless one went less than `RESEND_AFTER` ago. The
    time is committed before sending, so that two clicks send one mail; a mail the server
    refused gives it back. Raises MailError."""
    before = user.confirm_sent_at
    taken: Any = session.execute(
        update(User)
        .where(User.id == user.id)
        .where(or_(User.confirm_sent_at.is_(None), User.confirm_sent_at <= now - RESEND_AFTER))
        .values(confirm_sent_at=now)
    )
    session.commit()
    session.refresh(user)
    if taken.rowcount != 1:
        return Requested(False, (user.confirm_sent_at or now) + RESEND_AFTER)
    transport = transport_for(current_app.config, current_app.instance_path)
    try:
        transport.send(confirmation_message(user, now), f"confirm-{user.id}", user.email)
    except MailUncertain:
        raise  # it may have arrived: the wait stands
    except MailError:
        session.execute(
            update(User)
            .where(User.id == user.id, User.confirm_sent_at == now)
            .values(confirm_sent_at=before)
        )
        session.commit()
        raise
    return Requested(True, now + RESEND_AFTER)


def confirmation_message(user: User, now: datetime) -> EmailMessage:
    """The mail with the link (templates/mail/confirm.txt and .html)."""
    config = current_app.config
    base = config["BASE_URL"].rstrip("/")
    values = {
        "email": user.email,
        "link": f"{base}/confirm-email/{confirm_token(config['SECRET_KEY'], user)}",
        "days": MAX_AGE.days,
        "manage": f"{base}/digest",
    }
    env = current_app.jinja_env
    return build_message(
        sender=config["MAIL_FROM"],
        recipient=user.email,
        recipient_name=user.name,
        subject=SUBJECT,
        text=env.get_template("mail/confirm.txt").render(values),
        html=env.get_template("mail/confirm.html").render(values),
        base_url=base,
        unsubscribe_url=None,
        now=now,
    )
