"""Sending the weekly digest at most once: the (user, week) row, claimed before anything is
sent, and what a person may do about a week that failed or was cut off.

    send_digest(user_id, week, now, asked)  # job: claim the (user, week) row, compose, send
    resend_digest(send_id, seen, now)       # job: a failed or interrupted week, again
    settle(session, owner_id, send_id, ...) # a person's word: "sent" or "skipped"
    state_of(row, clock)                    # the row's status, "interrupted" told apart
    may_resend(row, now, timezone)          # whether "send again" is offered

Never twice: the (user, week) row, with the Message-ID its mail will carry, is inserted and
committed before anything is sent; a job that finds it taken does nothing. A row left in
"sending" (a crash between claim and the server's answer) stays so until a person decides:
`resend_digest` sends it again, `settle` marks it sent or skipped. A row is stamped with the
real clock when it is claimed (a job's `now` only picks the week), so that a job that waited in
the queue is not taken for one cut off, and "interrupted" waits far longer than a send can take.
`planner.schedule.send_digests` queues the due ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner import db
from planner.confirmation import may_mail
from planner.digest import Digest, gather
from planner.digestweek import current_weeks, due_week
from planner.jobs import parse_now
from planner.mail import MailError, MailUncertain, digest_message, new_message_id
from planner.models import DigestSend, User
from planner.outbox import transport_for

log = logging.getLogger(__name__)
OPEN = ("failed", "sending")  # rows a person may send again, mark as sent, or skip
# "sending" for longer: the sender died on the way. Far longer than a send may take: RQ stops a
# digest job after 5 or 10 minutes (planner.jobs.KINDS), each SMTP step after 30 s.
INTERRUPTED_AFTER = timedelta(minutes=30)
COMPOSE_FAILED = "could not compose the digest"  # how `error` begins when nothing was sent


def state_of(row: DigestSend, clock: datetime) -> str:
    """The row's status at `clock` (the real time), "sending" told apart: still "sending", or
    "interrupted" (may or may not have been sent: a person decides) when the sender gave up
    unsure (`error` says why) or stopped answering for `INTERRUPTED_AFTER`."""
    if row.status == "sending" and (row.error or clock - row.started_at >= INTERRUPTED_AFTER):
        return "interrupted"
    return row.status


def may_resend(row: DigestSend, now: datetime, timezone: str | None) -> bool:
    """Whether the row's week may be sent again: a digest says what is on from the day it is
    sent, so only this week's (or last week's, within a day of its end) goes out again; an
    older one may only be marked as sent or skipped."""
    return row.week in current_weeks(now, timezone)


def _resendable(clock: datetime) -> Any:
    """SQL: failed, or interrupted (as `state_of` says) at `clock`."""
    cut_off = or_(DigestSend.error.is_not(None), DigestSend.started_at <= clock - INTERRUPTED_AFTER)
    return or_(DigestSend.status == "failed", and_(DigestSend.status == "sending", cut_off))


def claim(session: Session, user: User, week: str, message_id: str) -> DigestSend | None:
    """Insert and commit the (user, week) row as "sending", stamped with the real clock, with
    the Message-ID its mail will carry: None when another job has it."""
    row = DigestSend(owner_id=user.id, week=week, status="sending", started_at=datetime.now(UTC),
                     message_id=message_id, recipient=user.email)  # fmt: skip
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return row


def send_digest(
    user_id: int, week: str, now: str | None = None, asked: bool = False
) -> dict[str, Any]:
    """Job: the user's digest for `week` (their ISO week "2026-W48"), when it is due at `now`
    (or a person `asked` for it now), unless another job has it. Nothing to an address that is
    not confirmed or mail cannot reach. Raises, after recording the failure, when it could not
    be sent; raises before claiming anything (so that RQ runs it again) when the database
    cannot be read."""
    moment = parse_now(now)
    session = db.session()
    user = session.get(User, user_id)
    refused = why_not(user, week, moment, asked)
    if user is None or refused is not None:
        return _said(user_id, week, refused or "off")
    row = claim(session, user, week, new_message_id(current_app.config["BASE_URL"]))
    if row is None:
        return _said(user_id, week, "already")
    return deliver(session, user, row, moment)


def why_not(user: User | None, week: str, now: datetime, asked: bool = False) -> str | None:
    """Why the user's digest for `week` is not to be sent at `now` ("off", "unreachable",
    "stale", "not due"), or None. `asked`: a person asked for it now, due or not."""
    if user is None or not user.digest_enabled:
        return "off"
    if not may_mail(user, current_app.config):
        return "unreachable"  # not confirmed, or not one address mail can reach
    if week not in current_weeks(now, user.timezone):
        return "stale"  # queued last week, run too late: not now
    slot = (user.timezone, user.digest_weekday, user.digest_hour)
    if not asked and due_week(now, *slot, since=user.created_at) != week:
        return "not due"  # a new account waits for its first slot
    return None


def resend_digest(send_id: int, seen: str, now: str | None = None) -> dict[str, Any]:
    """Job: send a failed or interrupted week again, because a person asked: this week's only
    (`may_resend`). `seen` is the row's `started_at` as they saw it: a repeated job finds it
    changed and does nothing; a row still being sent is left alone."""
    moment, clock = parse_now(now), datetime.now(UTC)
    session = db.session()
    row = session.get(DigestSend, send_id)
    user = session.get(User, row.owner_id) if row is not None else None
    if row is None or user is None or not user.digest_enabled:
        return _said(user.id if user else 0, row.week if row else "", "off")
    if not may_mail(user, current_app.config):
        return _said(user.id, row.week, "unreachable")
    if not may_resend(row, moment, user.timezone):
        return _said(user.id, row.week, "stale")  # today's digest under an old week: never
    before = parse_now(seen)
    started = clock if clock != before else clock + timedelta(microseconds=1)
    taken: Any = session.execute(
        update(DigestSend)
        .where(DigestSend.id == send_id, DigestSend.started_at == before, _resendable(clock))
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
    row_id, week, message_id = row.id, row.week, row.message_id
    user_id, address = user.id, user.email  # read once: each commit expires the rows
    try:
        digest = (read or _remembered)(session, user, now)
        if not digest.worth_sending:
            row.status, row.events, row.message_id = "empty", 0, None
            session.commit()
            return _said(user_id, week, "empty")
        message = digest_message(user, digest, now, message_id)
        session.commit()  # what was read and remembered: no lock held while the server works
    except Exception as exc:
        session.rollback()
        log.exception("digest %s of user %s: %s", week, user_id, COMPOSE_FAILED)
        _failed(session, row_id, f"{COMPOSE_FAILED}: {exc}")
        raise
    try:
        transport_for(current_app.config, current_app.instance_path).send(
            message, f"{week}-{user_id}", address
        )
    except MailUncertain as exc:
        _unsure(session, row_id, str(exc))
        raise
    except MailError as exc:
        _failed(session, row_id, str(exc))
        raise
    row.status, row.sent_at, row.events = "sent", now, digest.events
    session.commit()
    return _said(user_id, week, "sent", events=digest.events, message_id=message_id)


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
