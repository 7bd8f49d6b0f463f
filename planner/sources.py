"""Sources a user follows: adding them, and the local owner they belong to by default."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.fetch import BadURL, ConnectionFailed, check_url, normalize_url
from planner.models import Source, User
from planner.normalize import MAX_URL
from scrapers import KINDS


class SourceError(Exception):
    """A source that cannot be added; the message says why."""


def owner(session: Session, email: str | None = None) -> User:
    """The user with `email` (the local owner by default), created on first use."""
    email = (email or current_app.config["OWNER_EMAIL"]).strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name="Local owner" if "@localhost" in email else None)
        session.add(user)
        session.flush()
    return user


def add_source(
    session: Session,
    user: User,
    url: str,
    kind: str | None = None,
    name: str | None = None,
    now: datetime | None = None,
) -> Source:
    """Follow `url` (http, https or webcal) for `user`; the same URL twice is one source."""
    if kind is not None and kind not in KINDS:
        raise SourceError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    if len(url) > MAX_URL or any(c.isspace() for c in url.strip()):
        raise SourceError("not a usable URL: too long, or it has spaces in it")
    try:
        url = normalize_url(url)
        check_url(url, allow_private=current_app.config["ALLOW_PRIVATE_URLS"])
    except ConnectionFailed:
        pass  # a host that does not resolve now may later: the refresh will say
    except BadURL as exc:
        raise SourceError(exc.message) from None
    return _source_for(session, user, url, kind, name, now)


def add_file_source(
    session: Session,
    user: User,
    path: Path,
    kind: str | None = None,
    name: str | None = None,
    now: datetime | None = None,
) -> Source:
    """Follow a local file (`planner import`, command line only: the web never reads files)."""
    return _source_for(session, user, path.resolve().as_uri(), kind, name or path.name, now)


def _source_for(
    session: Session,
    user: User,
    url: str,
    kind: str | None,
    name: str | None,
    now: datetime | None,
) -> Source:
    source = session.scalar(select(Source).where(Source.owner_id == user.id, Source.url == url))
    if source is None:
        source = Source(
            owner_id=user.id,
            url=url,
            kind=kind,
            name=name[:300] if name else None,
            refresh_interval=current_app.config["REFRESH_INTERVAL"],
            next_fetch_at=now,
            last_warnings=[],
        )
        session.add(source)
        session.flush()
    elif kind or name:
        source.kind = kind or source.kind
        source.name = name[:300] if name else source.name
    return source


def is_local_file(source: Source) -> bool:
    return source.url.startswith("file://")


def remove_source(session: Session, source: Source, now: datetime) -> int:
    """Stop following `source`; its events that no other source lists are marked gone (their
    history stays). Returns how many events it listed."""
    from planner.models import EventSource
    from planner.store import retire_orphans

    event_ids = list(
        session.scalars(select(EventSource.event_id).where(EventSource.source_id == source.id))
    )
    session.delete(source)
    session.flush()
    retire_orphans(session, event_ids, now)
    return len(event_ids)
