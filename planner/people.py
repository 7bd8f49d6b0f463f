"""The people a user knows: contacts read from export files, merged into the user's own list.

An import matches each exported contact with one the user already has (never another user's):
the same email, profile URL or handle; else the same name at the same company. A match is
merged (lists joined without duplicates, empty fields filled, nothing blanked); the rest are
added. Duplicates inside one file are merged the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.contacts import Contact as ExportedContact
from planner.models import Contact, User

MAX_TEXT = 300  # name, company, title, city
MAX_ITEM = {"emails": 320, "handles": 300, "urls": 2000, "tags": 100}
LISTS = tuple(MAX_ITEM)
TEXTS = ("company", "title", "city")


@dataclass
class ImportReport:
    """What an import did. `updated` counts exported contacts merged into one already there (in
    the database or earlier in the same file), changed or not."""

    added: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)  # one reason per contact left out
    warnings: list[str] = field(default_factory=list)


def import_contacts(
    session: Session,
    user: User,
    contacts: Iterable[ExportedContact],
    now: datetime,
    skipped: Sequence[str] = (),
) -> ImportReport:
    """Add or merge `contacts` into `user`'s own; `skipped` carries the reasons the parser gave
    for the rows it left out. Loads the user's contacts once; flushes, does not commit."""
    report = ImportReport(skipped=list(skipped))
    index = ContactIndex(session.scalars(select(Contact).where(Contact.owner_id == user.id)))
    for number, exported in enumerate(contacts, start=1):
        name = " ".join(exported.name.split())[:MAX_TEXT]
        if not name:
            report.skipped.append(f"contact {number}: no name")
            continue
        matches = index.find(exported)
        if matches:
            _note_ambiguity(report, exported, matches)
            merge_contact(matches[0], exported, now)
            index.add(matches[0])
            report.updated += 1
        else:
            row = new_contact(user, exported, name, now)
            session.add(row)
            index.add(row)
            report.added += 1
    session.flush()
    return report


def new_contact(user: User, exported: ExportedContact, name: str, now: datetime) -> Contact:
    return Contact(
        owner_id=user.id,
        name=name,
        source=exported.source,
        tie="regular",
        notes=exported.notes or None,
        created_at=now,
        updated_at=now,
        **{key: _clip(getattr(exported, key)) for key in TEXTS},
        **{key: _merged([], getattr(exported, key), key) for key in LISTS},
    )


def merge_contact(row: Contact, exported: ExportedContact, now: datetime) -> bool:
    """Join `exported` into `row`: lists without duplicates, empty fields filled, nothing
    blanked. True when something changed (then `updated_at` is `now`)."""
    changed = False
    for key in LISTS:
        merged = _merged(getattr(row, key) or [], getattr(exported, key), key)
        if merged != (getattr(row, key) or []):
            setattr(row, key, merged)  # a new list: JSON columns do not track in-place changes
            changed = True
    for key in (*TEXTS, "notes"):
        value = getattr(exported, key)
        value = _clip(value) if key in TEXTS else value
        if value and not getattr(row, key):
            setattr(row, key, value)
            changed = True
    if changed:
        row.updated_at = now
    return changed


class ContactIndex:
    """A user's contacts by the keys that identify a person, for matching without a query each."""

    def __init__(self, rows: Iterable[Contact]) -> None:
        self._by_key: dict[str, Contact] = {}
        for row in rows:
            self.add(row)

    def add(self, row: Contact) -> None:
        for key in identity_keys(row.name, row.company, row.emails, row.urls, row.handles):
            self._by_key.setdefault(key, row)

    def find(self, exported: ExportedContact) -> list[Contact]:
        """The contacts `exported` matches, the strongest match first (exact identities before
        name + company)."""
        keys = identity_keys(
            exported.name, exported.company, exported.emails, exported.urls, exported.handles
        )
        found: list[Contact] = []
        for key in keys:
            row = self._by_key.get(key)
            if row is not None and all(row is not other for other in found):
                found.append(row)
        return found


def identity_keys(
    name: str,
    company: str | None,
    emails: Iterable[str],
    urls: Iterable[str],
    handles: Iterable[str],
) -> list[str]:
    """The keys under which a person is known: exact identities first, then name + company.
    A name alone identifies only someone known by nothing else (so that importing a file of bare
    names twice does not double them, while two namesakes with different emails stay two)."""
    keys = [f"email:{e.strip().casefold()}" for e in emails if e.strip()]
    keys += [f"url:{normalize_profile_url(u)}" for u in urls if u.strip()]
    keys += [f"handle:{h.strip().casefold()}" for h in handles if h.strip()]
    if (company and company.strip()) or not keys:
        keys.append(f"name:{_folded(name)}|{_folded(company or '')}")
    return keys


def normalize_profile_url(url: str) -> str:
    """A profile address as compared: scheme and host in lower case, without `www.`, query,
    fragment or trailing slash."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    return urlunsplit((parts.scheme.lower(), host, parts.path.rstrip("/"), "", ""))


def _note_ambiguity(
    report: ImportReport, exported: ExportedContact, matches: list[Contact]
) -> None:
    if len(matches) > 1:
        others = ", ".join(repr(m.name) for m in matches[1:])
        report.warnings.append(
            f"{exported.name!r} also matches {others}; merged into {matches[0].name!r} only"
        )


def _merged(existing: list[str], new: Iterable[str], key: str) -> list[str]:
    """`existing` then the items of `new` not already there (ignoring case; URLs normalized)."""
    same = normalize_profile_url if key == "urls" else str.casefold
    seen = {same(item) for item in existing}
    merged = list(existing)
    for item in new:
        item = item.strip()[: MAX_ITEM[key]]
        if item and same(item) not in seen:
            seen.add(same(item))
            merged.append(item)
    return merged


def _clip(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value[:MAX_TEXT] or None


def _folded(value: str) -> str:
    return " ".join(value.split())[:MAX_TEXT].casefold()
