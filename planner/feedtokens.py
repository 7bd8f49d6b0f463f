"""The secrets in private feed URLs: made, shown again, rotated, revoked and looked up.

A token is HMAC-SHA256(secret key, "feed:" + seed) in URL-safe base64 (256 bits). The database
keeps the random seed and the token's SHA-256, never the token: the page and `planner feeds url`
show a URL again by working it out from the seed, while the database alone does not reveal it.
Each user has at most one live token per kind ("all": recommended + going, "going": going
only); rotating revokes the live one and makes another, and a revoked token is "not found" on
the next request, in every process.

    row = ensure_token(session, user, "all", secret, now)  # the live one, made if there is none
    token = shown_token(row, secret)                       # None: made under another key
    found = lookup(engine, token, now)                     # -> Found | None, one query
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.orm import Session

from planner.models import FeedToken, User

KINDS = ("all", "going")
USE_NOTED_EVERY = timedelta(hours=1)  # last_used_at is written at most this often per token
_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 bytes in URL-safe base64, unpadded


class FeedTokenError(Exception):
    """A request about a feed URL that cannot be done; the message is for the user."""


def token_of(secret: str, seed: str) -> str:
    digest = hmac.new(secret.encode(), f"feed:{seed}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def shown_token(row: FeedToken, secret: str) -> str | None:
    """The token of `row` worked out again, or None when it was made under another secret key
    (it still works for the calendars that have it, but cannot be shown)."""
    token = token_of(secret, row.seed)
    return token if hmac.compare_digest(hash_of(token), row.token_hash) else None


def _checked(kind: str) -> str:
    if kind not in KINDS:
        raise FeedTokenError(f"unknown feed {kind!r}: choose one of {', '.join(KINDS)}")
    return kind


def live_tokens(session: Session, owner_id: int) -> dict[str, FeedToken]:
    """The user's live token of each kind that has one (the newest, should a race have made
    two: rotating and revoking end them all)."""
    rows = session.scalars(
        select(FeedToken)
        .where(FeedToken.owner_id == owner_id, FeedToken.revoked_at.is_(None))
        .order_by(FeedToken.id)
    )
    return {row.kind: row for row in rows}


def ensure_token(session: Session, user: User, kind: str, secret: str, now: datetime) -> FeedToken:
    """The user's live token of `kind`, made now if there is none."""
    _checked(kind)
    session.scalar(select(User.id).where(User.id == user.id).with_for_update())  # one at a time
    found = live_tokens(session, user.id).get(kind)
    return found if found is not None else _make(session, user, kind, secret, now)


def rotate_token(session: Session, user: User, kind: str, secret: str, now: datetime) -> FeedToken:
    """A new token of `kind`; the old URL stops working."""
    revoke_token(session, user, kind, now)
    return _make(session, user, kind, secret, now)


def revoke_token(session: Session, user: User, kind: str, now: datetime) -> int:
    """End the user's live token(s) of `kind`; how many there were."""
    result = session.execute(
        update(FeedToken)
        .where(
            FeedToken.owner_id == user.id,
            FeedToken.kind == _checked(kind),
            FeedToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _make(session: Session, user: User, kind: str, secret: str, now: datetime) -> FeedToken:
    seed = secrets.token_hex(16)
    row = FeedToken(
        owner_id=user.id,
        kind=kind,
        seed=seed,
        token_hash=hash_of(token_of(secret, seed)),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Found:
    """A live token as a feed request needs it: whose, which feed, and the owner's data version
    (what a cached feed is keyed by)."""

    token_hash: str
    token_id: int
    owner_id: int
    kind: str
    data_version: int


_LOOKUP = (
    select(
        FeedToken.id,
        FeedToken.owner_id,
        FeedToken.kind,
        FeedToken.last_used_at,
        User.data_version,
    )
    .join(User, User.id == FeedToken.owner_id)
    .where(FeedToken.token_hash == bindparam("token_hash"), FeedToken.revoked_at.is_(None))
)
_NOTE_USE = (
    update(FeedToken)
    .where(FeedToken.id == bindparam("token_id"))
    .values(last_used_at=bindparam("at"))
)


def lookup(engine: Engine, token: str, now: datetime) -> Found | None:
    """The live token `token` names, or None (unknown, revoked and malformed tokens alike): one
    indexed query on a pooled connection, no ORM session; when it was last used is written at
    most once an hour, so that polling calendars cause no writes."""
    if not _SHAPE.fullmatch(token):
        return None
    digest = hash_of(token)
    row = _read(engine, digest)
    if row is None:
        return None
    token_id, owner_id, kind, last_used_at, data_version = row
    if last_used_at is None or now - _aware(last_used_at) >= USE_NOTED_EVERY:
        with engine.begin() as connection:
            connection.execute(_NOTE_USE, {"token_id": token_id, "at": now})
    return Found(digest, token_id, owner_id, kind, data_version)


_compiled: dict[tuple[str, str], tuple[str, bool]] = {}


def _read(engine: Engine, digest: str) -> tuple[Any, ...] | None:
    """`_LOOKUP` on the driver's own connection and cursor: a feed poll is mostly this query,
    and SQLAlchemy's connection and result objects tripled its cost (88 against 22 µs)."""
    key = (engine.dialect.name, engine.dialect.driver)
    if key not in _compiled:
        compiled = _LOOKUP.compile(dialect=engine.dialect)
        _compiled[key] = (str(compiled), bool(compiled.positional))
    sql, positional = _compiled[key]
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql, (digest,) if positional else {"token_hash": digest})
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()  # back to the pool, rolled back
    return tuple(row) if row is not None else None


def _aware(value: datetime | str) -> datetime:
    """A timestamp as the driver gives it (SQLite: text in UTC) as an aware UTC datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
