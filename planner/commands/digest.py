"""`planner digest`: preview and send the weekly email digest."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click

from planner.commands import Usage, known_user, now_option, parse_now, with_app

USER_HELP = "this user's digest for the current week, now (default: everyone whose digest is due)"
RESULT_WORDS = {
    "off": "not sent: the weekly digest is off",
    "unreachable": "not sent: the address is not confirmed or mail cannot reach it",
    "stale": "not sent: that week is over",
    "not due": "not sent: not due yet",
}


@click.group()
def digest() -> None:
    """The weekly email digest of nearby meetups."""


@digest.command("preview")
@click.option("--user", "email", help="for whom (default: the local owner)")
@now_option
@with_app
def preview(email: str | None, now: str | None) -> None:
    """Print this week's digest (its text part), recording nothing."""
    from planner import db
    from planner.digest import gather
    from planner.mail import digest_message, part

    moment = parse_now(now)
    session = db.session()
    user = known_user(session, email)
    found = gather(session, user, moment)
    if not found.worth_sending:
        click.echo(
            f"nothing worth sending to {user.email} for {found.week}: no recommended event, "
            "nobody to meet in person, no follow-up due (no digest would go out)"
        )
        return
    message = digest_message(user, found, moment)
    session.commit()  # the user's mail key, when this made the first one
    click.echo(f"Subject: {message['Subject']}")
    click.echo(f"To: {message['To']}")
    click.echo("")
    click.echo(part(message, "plain") or "", nl=False)


@digest.command("send")
@click.option("--user", "email", help=USER_HELP)
@click.option("--dry-run", is_flag=True, help="say who would get what; send and record nothing")
@click.option(
    "--again", is_flag=True, help="with --user: send this week's again if it failed or was cut off"
)
@now_option
@with_app
def send(email: str | None, dry_run: bool, again: bool, now: str | None) -> None:
    """Send the digests that are due, or one user's.

    One line per user: sent, empty, already sent, or failed (or interrupted: the server's
    answer never came) with the reason; exit status 1 when one failed or was interrupted."""
    from planner import db
    from planner.schedule import due_digests
    from planner.smtp import one_connection

    if again and email is None:
        raise Usage("--again needs --user: it sends one user's failed or interrupted week again")
    _check_key(dry_run)
    moment = parse_now(now)
    session = db.session()
    targets = _one(session, email, moment) if email else due_digests(moment)
    lines = failed = 0
    with one_connection():
        for user_id, address, week in targets:
            send = _dry_run if dry_run else _send
            said = send(user_id, week, moment, again, asked=email is not None)
            click.echo(f"{address} {week}: {said}")
            lines += 1
            failed += said.startswith(("failed", "interrupted"))
            session.expunge_all()  # one user's rows at a time in memory
    if not lines:
        click.echo("no digest is due")
    if failed:
        sys.exit(1)


def _check_key(dry_run: bool) -> None:
    from flask import current_app

    from planner.config import DEFAULT_SECRET_KEY

    config = current_app.config
    if dry_run or not config.get("SMTP_URL") or config.get("DEBUG"):
        return
    if config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        raise Usage(
            "PLANNER_SECRET_KEY is not set: the unsubscribe links in the mail would not work "
            "(set the web app's key)"
        )


def _one(session: Any, email: str, moment: datetime) -> list[tuple[int, str, str]]:
    """The user `--user` names, for this week on their clock, when mail can reach them."""
    from flask import current_app

    from planner.confirmation import confirmed
    from planner.digest import week_of
    from planner.outbox import deliverable

    user = known_user(session, email)
    if not user.digest_enabled:
        raise Usage(f"{user.email} has the weekly digest off (unsubscribed): nothing sent")
    if not deliverable(user.email, bool(current_app.config.get("SMTP_URL"))):
        raise Usage(f"{user.email} cannot receive mail from this server: nothing sent")
    if not confirmed(user, current_app.config["MODE"]):
        raise Usage(f"{user.email} has not confirmed the address yet (on the Digest page): "
                    "nothing sent")  # fmt: skip
    return [(user.id, user.email, week_of(moment, user.timezone))]


def _send(user_id: int, week: str, moment: datetime, again: bool, asked: bool) -> str:
    """Send (or, with `again`, send a failed or interrupted week again); what happened.
    `asked`: this user's digest now (`--user`), else only when due."""
    from planner.mail import MailError, MailUncertain
    from planner.sending import resend_digest, send_digest, state_of

    row = _row(user_id, week)
    try:
        if row is None:
            result = send_digest(user_id, week, moment.isoformat(), asked=asked)
        elif again and state_of(row, datetime.now(UTC)) in ("failed", "interrupted"):
            result = resend_digest(row.id, row.started_at.isoformat(), moment.isoformat())
        else:
            return _already(row)
    except MailUncertain as exc:
        found = _row(user_id, week)
        return (
            f"interrupted: {exc} ({found.message_id if found else 'no Message-ID'}); "
            "look for it before sending it again with --again"
        )
    except MailError as exc:
        return f"failed: {exc}"
    except Exception as exc:  # recorded on the row; said here in one line, not a traceback
        return f"failed: could not compose the digest: {exc}"
    return _result(user_id, week, result)


def _result(user_id: int, week: str, result: dict[str, Any]) -> str:
    if result["status"] == "sent":
        events = result.get("events", 0)
        return f"sent, {events} event{'' if events == 1 else 's'} ({result['message_id']})"
    if result["status"] == "empty":
        return "empty: nothing worth sending, no mail"
    if result["status"] in RESULT_WORDS:
        return RESULT_WORDS[result["status"]]
    row = _row(user_id, week)
    return _already(row) if row is not None else result["status"]


def _already(row: Any) -> str:
    from planner.sending import state_of

    state = state_of(row, datetime.now(UTC))  # how long it has been in flight: the real clock
    if state == "interrupted":
        return (
            f"interrupted: {row.error or 'may or may not have been sent'} "
            f"({row.message_id or 'no Message-ID yet'}); --again sends it again"
        )
    if state == "failed":
        return f"failed before: {row.error}; --again tries again"
    return f"already {state}" if state != "empty" else "already done: nothing worth sending"


def _row(user_id: int, week: str) -> Any:
    from sqlalchemy import select

    from planner import db
    from planner.models import DigestSend

    session = db.session()
    session.expire_all()
    return session.scalar(
        select(DigestSend).where(DigestSend.owner_id == user_id, DigestSend.week == week)
    )


def _dry_run(
    user_id: int, week: str, moment: datetime, _again: bool = False, asked: bool = False
) -> str:
    """What sending would do, without sending or writing anything."""
    from planner import db
    from planner.digest import gather
    from planner.models import User
    from planner.sending import why_not

    row = _row(user_id, week)
    if row is not None:
        return _already(row)
    session = db.session()
    user = session.get(User, user_id)
    if user is None:
        return "no such user any more"
    refused = why_not(user, week, moment, asked)
    if refused is not None:
        return RESULT_WORDS[refused]
    found = gather(session, user, moment)
    session.rollback()
    if not found.worth_sending:
        return "would send nothing: nothing worth sending"
    people = len(found.people)
    return (
        f"would send “{found.subject}” ({found.events} event{'' if found.events == 1 else 's'}, "
        f"{people} {'person' if people == 1 else 'people'} to meet)"
    )
