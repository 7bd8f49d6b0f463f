"""Sending the weekly digest at most once: the (user, week) row, claimed before anything is
sent, and what a person may do about a week that failed or was cut off.

    send_digest(user_id, week, now)         # job: claim the (user, week) row, compose, send
    resend_digest(send_id, seen, now)       # job: a failed or interrupted week, again
    settle(session, owner_id, send_id, ...) # a person's word: "sent" or "skipped"
    state_of(row, now)                      # the row's status, "interrupted" told apart

Never twice: the (user, week) row, with the Message-ID its mail will carry, is inserted and
committed before anything is sent; a job that finds it taken does nothing. A row left in
"sending" (a crash between claim and the server's answer) stays so until a person decides:
`resend_digest` sends it again, `settle` marks it sent or skipped.
`planner.schedule.send_digests` queues the due ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner import db
from planner.digest import Digest, gather, week_of
from planner.jobs import parse_now
from planner.mail import MailError, MailUncertain, digest_message, new_message_id
from planner.models import DigestSend, User
from planner.outbox import transport_for

OPEN = ("failed", "sending")  # rows a person may send again, mark as sent, or skip
INTERRUPTED_AFTER = timedelta(minutes=5)  # "sending" for longer: the sender died on the way


def state_of(row: DigestSend, now: datetime) -> str:
    """The row's status, "sending" told apart: still "sending", or "interrupted" (may or may
    not have been sent: a person decides) when the sender gave up unsure (`error` says why)
    or stopped answering for `INTERRUPTED_AFTER`."""
    if row.status == "sending" and (row.error or now - row.started_at >= INTERRUPTED_AFTER):
        return "interrupted"
    return row.status


def claim(
    session: Session, user: User, week: str, now: datetime, message_id: str
) -> DigestSend | None:
    """Insert and commit the (user, week) row as "sending", with the Message-ID its mail will
    carry: None when another job has it."""
    row = DigestSend(owner_id=user.id, week=week, status="sending", started_at=now,
                     message_id=message_id, recipient=user.email)  # fmt: skip
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return row


def send_digest(user_id: int, week: str, now: str | None = None) -> dict[str, Any]:
    """Job: the user's digest for `week` (their ISO week "2026-W48"), unless another job has
    it. Raises, after recording the failure, when it could not be sent."""
    moment = parse_now(now)
    session = db.session()
    user = session.get(User, user_id)
    if user is None or not user.digest_enabled:
        return _said(user_id, week, "off")
    if week_of(moment, user.timezone) != week:
        return _said(user_id, week, "stale")  # queued last week, run too late: not now
    row = claim(session, user, week, moment, new_message_id(current_app.config["BASE_URL"]))
    if row is None:
        return _said(user_id, week, "already")
    return deliver(session, user, row, moment)


def resend_digest(send_id: int, seen: str, now: str | None = None) -> dict[str, Any]:
    """Job: send a failed or interrupted week again, because a person asked. `seen` is the
    row's `started_at` as they saw it: a repeated job finds it changed and does nothing."""
    moment = parse_now(now)
    session = db.session()
    row = session.get(DigestSend, send_id)
    user = session.get(User, row.owner_id) if row is not None else None
    if row is None or user is None or not user.digest_enabled:
        return _said(user.id if user else 0, row.week if row else "", "off")
    before = parse_now(seen)
    started = moment if moment != before else moment + timedelta(microseconds=1)
    taken: Any = session.execute(
        update(DigestSend)
        .where(DigestSend.id == send_id, DigestSend.status.in_(OPEN))
        .where(DigestSend.started_at == before)
        .values(status="sending", started_at=started, error=None, recipient=user.email)
        .values(message_id=new_message_id(current_app.config["BASE_URL"]))
    )
    session.commit()
    if taken.rowcount != 1:
        return _said(user.id, row.week, "already")
    session.refresh(row)
    return deliver(session, user, row, moment)


def settle(session: Session, owner_id: int, send_id: int, status: str) -> bool:
    """A person's word on a failed or interrupted week: "sent" (it arrived) or "skipped"."""
    if status not in ("sent", "skipped"):
        raise ValueError(f"not a settled status: {status!r}")
    done: Any = session.execute(
        update(DigestSend)
        .where(DigestSend.id == send_id, DigestSend.owner_id == owner_id)
        .where(DigestSend.status.in_(OPEN))
        .values(status=status)
    )
    return bool(done.rowcount)


def deliver(
    session: Session,
    user: User,
    row: DigestSend,
    now: datetime,
    read: Callable[[Session, User, datetime], Digest] | None = None,
) -> dict[str, Any]:
    """Compose and send the digest of the claimed `row`; record what happened. `read` says
    what the digest says (default: `gather`, remembering what was recommended)."""
    row_id, week = row.id, row.week
    try:
        digest = (read or _remembered)(session, user, now)
        if not digest.worth_sending:
            row.status, row.events, row.message_id = "empty", 0, None
            session.commit()
            return _said(user.id, week, "empty")
        message = digest_message(user, digest, now, row.message_id)
        session.commit()  # what was read and remembered: no lock held while the server works
    except Exception as exc:
        session.rollback()
        _failed(session, row_id, f"could not compose the digest: {exc}")
        raise
    try:
        transport_for(current_app.config, current_app.instance_path).send(
            message, f"{week}-{user.id}"
        )
    except MailUncertain as exc:
        _unsure(session, row_id, str(exc))
        raise
    except MailError as exc:
        _failed(session, row_id, str(exc))
        raise
    row.status, row.sent_at, row.events = "sent", now, digest.events
    session.commit()
    return _said(user.id, week, "sent", events=digest.events, message_id=row.message_id)


def _remembered(session: Session, user: User, now: datetime) -> Digest:
    return gather(session, user, now, remember=True)


def _unsure(session: Session, row_id: int, error: str) -> None:
    """Left "sending", with why: interrupted at once, for a person to decide."""
    session.execute(update(DigestSend).where(DigestSend.id == row_id).values(error=error[:2000]))
    session.commit()


def _failed(session: Session, row_id: int, error: str) -> None:
    session.execute(
        update(DigestSend)
        .where(DigestSend.id == row_id, DigestSend.status == "sending")
        .values(status="failed", error=error[:2000])
    )
    session.commit()


def _said(user_id: int, week: str, status: str, **more: Any) -> dict[str, Any]:
    return {"user_id": user_id, "week": week, "status": status, **more}
