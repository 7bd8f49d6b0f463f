"""A user's contacts one at a time: typed in and checked, edited, removed, looked up, searched,
grouped by city and exported as CSV.

Every lookup is scoped to the owner: another user's contact is never found (callers answer 404).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Select, String, cast, func, or_, select
from sqlalchemy.orm import Session

from planner.contacts import HANDLE_READERS, handle_from_url, mastodon_handle, web_url
from planner.models import Contact, User
from planner.people import MAX_ITEM, clip_text, merged_items

TIES = ("close", "regular", "weak")
TEXTS = ("name", "company", "title", "city")
MAX_NOTES = 10_000
PER_PAGE = 50
_EMAIL = re.compile(r"[^@\s,;<>()\"]+@[^@\s,;<>()\".]+(\.[^@\s,;<>()\".]+)+")


class ContactError(Exception):
    """Values that cannot make a contact; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


def check_contact(values: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The contact `values` describe (lists as text, split on commas or lines, or as lists), as
    the columns to set; ContactError naming every field that is wrong. Long texts are cut to
    fit, as imports do."""
    errors: dict[str, str] = {}
    checked: dict[str, Any] = {key: clip_text(values.get(key)) for key in TEXTS}
    if not checked["name"]:
        errors["name"] = "A name is needed."
    for key, read in (("emails", _email), ("handles", _handle), ("urls", _url)):
        checked[key] = _checked(values.get(key), read, errors, key)
    checked["tags"] = merged_items([], _items(values.get("tags"), ","), "tags")
    checked["tie"] = values.get("tie") or "regular"
    if checked["tie"] not in TIES:
        errors["tie"] = f"Choose one of {', '.join(TIES)}."
    checked["last_met"] = _date(values.get("last_met"), today, errors)
    checked["notes"] = str(values.get("notes") or "").strip()[:MAX_NOTES] or None
    if errors:
        raise ContactError(errors)
    return checked


HINTS = {
    "emails": "not an email address",
    "handles": "write @user@server (Mastodon), github:user or x:user, or a profile address",
    "urls": "not an http(s) address",
}


def _items(value: Any, separators: str) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in re.split(f"[{separators}\n]", value) if p.strip()]
    return [str(v).strip() for v in value or [] if str(v).strip()]


def _checked(value: object, read: Any, errors: dict[str, str], key: str) -> list[str]:
    """The items of a list field, each read by `read` (None: not valid, noted in `errors`)."""
    kept = []
    for item in _items(value, ",; "):
        readable = read(item)
        if readable is None:
            errors.setdefault(key, f"{item[:80]!r}: {HINTS[key]}.")
        else:
            kept.append(readable)
    return merged_items([], kept, key)


def _email(value: str) -> str | None:
    value = value.removeprefix("mailto:")
    return value if _EMAIL.fullmatch(value) and len(value) <= MAX_ITEM["emails"] else None


def _url(value: str) -> str | None:
    url = web_url(value)
    if url is None or len(url) > MAX_ITEM["urls"]:
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def _handle(value: str) -> str | None:
    """`@user@server`, `github:user` or `x:user`, from those forms, `twitter:user` or a profile
    address (GitHub, X/Twitter, Mastodon)."""
    kind, colon, rest = value.partition(":")
    if colon and kind.lower() in ("github", "x", "twitter") and not rest.startswith("//"):
        return HANDLE_READERS[kind.lower()](rest)
    if value.lower().startswith(("http://", "https://")):
        return handle_from_url(value)
    ats = 2 if value.startswith("@") else 1  # "@user@server" or "user@server"
    handle = mastodon_handle(value) if value.count("@") == ats else None
    return handle if handle and len(handle) <= MAX_ITEM["handles"] else None


def _date(value: object, today: date, errors: dict[str, str]) -> date | None:
    if value in (None, ""):
        return None
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        errors["last_met"] = "Write the date as YYYY-MM-DD."
        return None
    if day > today:
        errors["last_met"] = "That day has not come yet."
    return day


def today_of(user: User, now: datetime) -> date:
    """The date it is for `user` at `now`, in the user's time zone."""
    try:
        return now.astimezone(ZoneInfo(user.timezone or "UTC")).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.date()


def add_contact(session: Session, user: User, values: Mapping[str, Any], now: datetime) -> Contact:
    """A contact typed in by `user` (ContactError when `values` are wrong); flushed."""
    checked = check_contact(values, today_of(user, now))
    row = Contact(owner_id=user.id, source="manual", created_at=now, updated_at=now)
    for key, value in checked.items():
        setattr(row, key, value)  # new lists: JSON columns do not track in-place changes
    session.add(row)
    session.flush()
    return row


def update_contact(
    session: Session, user: User, row: Contact, values: Mapping[str, Any], now: datetime
) -> Contact:
    """Replace what `row` holds by `values` (ContactError when wrong); a new city forgets the
    coordinates of the old one, for the geocoding job to look up again."""
    checked = check_contact(values, today_of(user, now))
    if (checked["city"] or "").casefold() != (row.city or "").casefold():
        row.lat = row.lon = row.geocoded_at = None
    for key, value in checked.items():
        setattr(row, key, value)
    row.updated_at = now
    session.flush()
    return row


def remove_contact(session: Session, row: Contact) -> None:
    session.delete(row)
    session.flush()


def contact_of(session: Session, user: User, contact_id: int) -> Contact | None:
    """`user`'s contact `contact_id`; None when there is none or it is another user's."""
    query = select(Contact).where(Contact.id == contact_id, Contact.owner_id == user.id)
    return session.scalar(query)


# --- finding contacts ---


@dataclass
class ContactPage:
    items: list[Contact]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_query(
    user: User, q: str = "", city: str | None = None, tie: str | None = None
) -> Select[Contact]:
    """`user`'s contacts matching every word of `q` (ignoring case, in name, company, title,
    city, tags, handles or emails), in `city` and of `tie` strength when given; by name."""
    query = select(Contact).where(Contact.owner_id == user.id)
    for word in q.split()[:10]:
        query = query.where(_word_matches(word))
    if city and city.strip():
        query = query.where(func.lower(Contact.city) == " ".join(city.split()).lower())
    if tie in TIES:
        query = query.where(Contact.tie == tie)
    return query.order_by(func.lower(Contact.name), Contact.id)


def _word_matches(word: str) -> ColumnElement[bool]:
    """Some column holds `word`. Lists are searched in their JSON text, as JSON spells the word
    (non-ASCII letters escaped), unless the word holds JSON's own punctuation. SQLite folds only
    ASCII case, so a non-ASCII word is also tried in lower and upper case."""
    spellings = {word, word.lower(), word.upper()} if not word.isascii() else {word}
    texts = (Contact.name, Contact.company, Contact.title, Contact.city)
    lists = (Contact.tags, Contact.handles, Contact.emails) if not set('[]",') & set(word) else ()
    tests = []
    for spelling in spellings:
        tests += [column.ilike(_like(spelling), escape="\\") for column in texts]
        pattern = _like(json.dumps(spelling)[1:-1])
        tests += [cast(column, String).ilike(pattern, escape="\\") for column in lists]
    return or_(*tests)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_contacts(
    session: Session,
    user: User,
    q: str = "",
    city: str | None = None,
    tie: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ContactPage:
    """One page of `search_query`'s contacts, with how many there are in all."""
    query = search_query(user, q, city, tie)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    found = ContactPage([], total or 0, 1, per_page)
    found.page = min(max(1, page), found.pages)
    found.items = list(session.scalars(query.limit(per_page).offset((found.page - 1) * per_page)))
    return found


@dataclass
class CityGroup:
    name: str  # the spelling most of its contacts use
    lat: float | None
    lon: float | None
    people: list[tuple[int, str]] = field(default_factory=list)  # (id, name), by name


def contacts_by_city(session: Session, user: User) -> tuple[list[CityGroup], int]:
    """`user`'s contacts grouped by city (spelling and case ignored): the placed cities first,
    then the most populous; and how many contacts have no city."""
    columns = (Contact.id, Contact.name, Contact.city, Contact.lat, Contact.lon)
    query = select(*columns).where(Contact.owner_id == user.id, Contact.city.is_not(None))
    groups: dict[str, CityGroup] = {}
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for row_id, name, spelling, lat, lon in session.execute(
        query.order_by(func.lower(Contact.name))
    ):
        city = str(spelling)
        key = " ".join(city.split()).casefold()
        group = groups.setdefault(key, CityGroup(city, None, None))
        group.people.append((row_id, name))
        if lat is not None and lon is not None and group.lat is None:
            group.lat, group.lon = lat, lon
        spellings[key][city] += 1
    for key, group in groups.items():
        group.name = spellings[key].most_common(1)[0][0]
    without = session.scalar(
        select(func.count()).where(Contact.owner_id == user.id, Contact.city.is_(None))
    )
    order = sorted(groups.values(), key=lambda g: (g.lat is None, -len(g.people), g.name.lower()))
    return order, without or 0


# --- export ---

EXPORT_HEADER = (
    "Name", "Email", "Mastodon", "GitHub", "X", "Other handles", "URL", "Tags", "Company",
    "Title", "City", "Notes", "Tie", "Last met", "Source",
)  # fmt: skip
# a spreadsheet reads a cell starting with these as a formula (OWASP: CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutral_cell(value: str) -> str:
    """`value` as a spreadsheet shows it as text: a leading apostrophe before what would make
    it a formula (also after leading spaces, which some spreadsheets skip)."""
    if value.startswith(FORMULA_STARTS) or value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_contacts_csv(contacts: Iterable[Contact]) -> str:
    """The contacts as CSV (RFC 4180, every cell quoted, formulas neutralized), with columns a
    generic-CSV import recognises for the fields it reads."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for row in contacts:
        writer.writerow([neutral_cell(cell) for cell in _export_row(row)])
    return out.getvalue()


def _export_row(row: Contact) -> list[str]:
    kinds: dict[str, list[str]] = {"@": [], "github:": [], "x:": [], "": []}  # Mastodon, ...
    for handle in row.handles or []:
        prefix = next(p for p in kinds if handle.startswith(p))
        kinds[prefix].append(handle.removeprefix(prefix))  # "user@server", bare user names
    lists = [row.emails or [], *kinds.values(), row.urls or [], row.tags or []]
    last_met = row.last_met.isoformat() if row.last_met else ""
    texts = [row.company, row.title, row.city, row.notes, row.tie, last_met, row.source]
    return [row.name, *(", ".join(items) for items in lists), *(t or "" for t in texts)]
