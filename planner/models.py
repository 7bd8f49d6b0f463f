"""Typed tables. Times are aware, in UTC: `start`/`end` are event times, `*_at` bookkeeping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps naive text; we add the zone back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


# availability slots are "<day>:<part>", day mon..sun, part morning | afternoon | evening
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS = ("morning", "afternoon", "evening")


def default_availability() -> list[str]:
    """Weekday evenings and the whole weekend."""
    evenings = [f"{day}:evening" for day in DAYS[:5]]
    return evenings + [f"{day}:{part}" for day in DAYS[5:] for part in PARTS]


class User(Base):
    """An account, with the profile the matcher reads: home, reach, time and appetite."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(300))  # None: cannot sign in
    auth_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped: sessions end
    home_location: Mapped[str | None] = mapped_column(String(300))  # as typed
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lon: Mapped[float | None] = mapped_column(Float)
    home_geocoded_at: Mapped[datetime | None]  # None: not looked up yet
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    timezone_auto: Mapped[bool] = mapped_column(default=True, server_default=true())
    radius_km: Mapped[int] = mapped_column(Integer, default=25, server_default="25")
    availability: Mapped[list[Any]] = mapped_column(default=default_availability)
    events_per_week: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    events_per_month: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    online_ok: Mapped[bool] = mapped_column(default=True, server_default=true())
    serendipity: Mapped[bool] = mapped_column(default=True, server_default=true())  # one wild card
    # generic CSV contact imports: header signature -> {column header: contact field}
    csv_mappings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the weekly digest: on or off, and when (weekday 0 = Monday, hour, in the user's time zone)
    digest_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    digest_hour: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    # random; signs the unsubscribe links of the user's mail (a new key revokes the old links)
    mail_key: Mapped[str | None] = mapped_column(String(64))
    # multi-user mode: mail goes only to an address its owner confirmed (a link mailed to it,
    # at most one such mail per `confirm_sent_at` + 10 minutes); None: not confirmed yet
    email_confirmed_at: Mapped[datetime | None]
    confirm_sent_at: Mapped[datetime | None]
    # bumped when anything a feed or digest shows may have changed (planner/changes.py)
    data_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # bumped with it when that change may touch the user's events themselves
    events_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sources: Mapped[list[Source]] = relationship(back_populates="owner")

    # Flask-Login: the id carries the auth version, so a password change ends other sessions
    is_active = True
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    def get_id(self) -> str:
        return f"{self.id}.{self.auth_version}"


class Source(Base):
    """A feed or page a user follows, with its health."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("owner_id", "url", name="uq_sources_owner_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str | None] = mapped_column(String(20))  # ical | ... ; None: detect
    name: Mapped[str | None] = mapped_column(String(300))
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime | None]  # when the content last changed: quiet sources wait longer
    window_start: Mapped[date | None] = mapped_column(Date)  # the window the last parse used
    fetched_at: Mapped[datetime | None]
    ok_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_warnings: Mapped[list[Any]] = mapped_column(default=list)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    events_found: Mapped[int] = mapped_column(Integer, default=0)
    refresh_interval: Mapped[int] = mapped_column(Integer, default=3600)  # seconds
    next_fetch_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[User] = relationship(back_populates="sources")
    links: Mapped[list[EventSource]] = relationship(back_populates="source", passive_deletes=True)

    @property
    def healthy(self) -> bool:
        return self.ok_at is not None and not self.last_error


class Event(Base):
    """One real-world event, however many of its owner's sources list it."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("owner_id", "fingerprint", name="uq_events_owner_fingerprint"),
        Index("ix_events_owner_start", "owner_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # each user has their own copy: one user's sources never change what another user sees
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    start: Mapped[datetime] = mapped_column(index=True)
    end: Mapped[datetime | None]
    all_day: Mapped[bool] = mapped_column(default=False)
    floating: Mapped[bool] = mapped_column(default=False)  # wall-clock time, zone unknown
    timezone: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(Text)
    venue: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(1000))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    geocoded_at: Mapped[datetime | None]  # None: venue not looked up yet
    image: Mapped[str | None] = mapped_column(String(2000))
    price: Mapped[str | None] = mapped_column(String(100))
    # below 1 when guessed from a page without structured data
    confidence: Mapped[float] = mapped_column(Float, default=1.0, server_default="1.0")
    attendance: Mapped[str] = mapped_column(String(20), default="in_person")
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    organizers: Mapped[list[Any]] = mapped_column(default=list)
    categories: Mapped[list[Any]] = mapped_column(default=list)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    gone_at: Mapped[datetime | None]  # no source lists it any more
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # iCal SEQUENCE

    links: Mapped[list[EventSource]] = relationship(back_populates="event", passive_deletes=True)
    people: Mapped[list[EventPerson]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )


class EventSource(Base):
    """Provenance: this source lists this event under this uid (one occurrence of a series)."""

    __tablename__ = "event_sources"
    __table_args__ = (
        UniqueConstraint("source_id", "source_uid", name="uq_event_sources_source_uid"),
        Index("ix_event_sources_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    source_uid: Mapped[str] = mapped_column(String(500))
    group_uid: Mapped[str] = mapped_column(String(500))  # the UID of the VEVENT group / page
    block_hash: Mapped[str | None] = mapped_column(String(64))  # the text it was read from
    fields_hash: Mapped[str | None] = mapped_column(String(64))  # what normalize made of it
    url: Mapped[str | None] = mapped_column(String(2000))
    start: Mapped[datetime]
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    gone_at: Mapped[datetime | None]

    event: Mapped[Event] = relationship(back_populates="links")
    source: Mapped[Source] = relationship(back_populates="links")


class EventPerson(Base):
    """Someone named on an event: organizer, speaker, host, attendee."""

    __tablename__ = "event_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(String(2000))
    email: Mapped[str | None] = mapped_column(String(320))

    event: Mapped[Event] = relationship(back_populates="people")


class SourceGroup(Base):
    """The hash of each part of a source's text as last read (a UID group of an iCal feed), also
    for parts with no event in the window: unchanged parts are not parsed again."""

    __tablename__ = "source_groups"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    group_uid: Mapped[str] = mapped_column(String(500), primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))


class Contact(Base):
    """Someone a user knows online, from an export file or typed in; private to its owner."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    emails: Mapped[list[Any]] = mapped_column(default=list)
    handles: Mapped[list[Any]] = mapped_column(default=list)  # "@user@host", "github:user", ...
    urls: Mapped[list[Any]] = mapped_column(default=list)
    company: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float | None] = mapped_column(Float)  # of the city, by the geocoding job
    lon: Mapped[float | None] = mapped_column(Float)
    geocoded_at: Mapped[datetime | None]  # None: not looked up yet
    tags: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    tie: Mapped[str] = mapped_column(String(20), default="regular")  # close | regular | weak
    last_met: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20), default="manual")  # linkedin | vcard | ...
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Goal(Base):
    """A networking goal in plain words; priority 1 is the most important."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    priority: Mapped[int] = mapped_column(Integer, default=2)  # 1 (high) .. 3 (low)
    paused: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Trip(Base):
    """Away from home: from `starts_on` to `ends_on` (inclusive), "near" means near `city`."""

    __tablename__ = "trips"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    city: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str | None] = mapped_column(String(64))
    geocoded_at: Mapped[datetime | None]  # None: not looked up yet
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GeoCache(Base):
    """What a geocoder answered for a place text, misses included (`found` false)."""

    __tablename__ = "geo_cache"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)  # gazetteer | nominatim
    query: Mapped[str] = mapped_column(String(300), primary_key=True)  # folded place text
    found: Mapped[bool] = mapped_column()
    name: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    looked_up_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInFailure(Base):
    """A failed sign-in, kept a while to slow password guessing (per account and address)."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), index=True)  # "email:..." or "ip:..."
    at: Mapped[datetime] = mapped_column(index=True)


class EventFeedback(Base):
    """What a user said about an event: going, dismissed (not interested) or attended."""

    __tablename__ = "event_feedback"
    __table_args__ = (
        UniqueConstraint("owner_id", "event_id", name="uq_event_feedback_owner_event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20))  # going | dismissed | attended
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Meeting(Base):
    """Someone the user met (at an event, or not), with the follow-up it calls for."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("event_id", "contact_id", name="uq_meetings_event_contact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    met_on: Mapped[date] = mapped_column(Date)
    follow_up_on: Mapped[date | None] = mapped_column(Date)  # the reminder's day
    followed_up_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactEvidence(Base):
    """Why a contact may be at an event (speaker, organizer, host, mentioned, likely), worked out
    when events or contacts change, never at ranking time."""

    __tablename__ = "contact_evidence"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(String(1000))
    strength: Mapped[float] = mapped_column(Float, default=1.0)


class Recommendation(Base):
    """An event recommended to a user, kept for what each goal and source has yielded."""

    __tablename__ = "recommendations"
    __table_args__ = (
        UniqueConstraint("owner_id", "event_id", name="uq_recommendations_owner_event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    goal_ids: Mapped[list[Any]] = mapped_column(default=list)
    source_ids: Mapped[list[Any]] = mapped_column(default=list)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedToken(Base):
    """A private calendar feed URL: `kind` is "all" (recommended + going) or "going". The URL's
    token is an HMAC of `seed` under the app's secret key: the database keeps the seed and the
    token's SHA-256 (looked up on every request), never the token itself."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    seed: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]  # revoked or rotated: the URL answers 404
    last_used_at: Mapped[datetime | None]


class DigestSend(Base):
    """One weekly digest: written (unique per user and week) before the mail is sent, so that a
    retried or doubled job sends nothing twice. status: sending | sent | empty | failed |
    skipped; a row left in "sending" was interrupted and waits for a person to decide."""

    __tablename__ = "digest_sends"
    __table_args__ = (UniqueConstraint("owner_id", "week", name="uq_digest_sends_owner_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    week: Mapped[str] = mapped_column(String(10))  # ISO week in the user's zone: "2026-W48"
    status: Mapped[str] = mapped_column(String(10), default="sending")
    message_id: Mapped[str | None] = mapped_column(String(300))
    recipient: Mapped[str | None] = mapped_column(String(320))
    events: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
