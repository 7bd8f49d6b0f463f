"""The people a user knows: contacts read from export files, merged into the user's own list.

An import matches each exported contact with one the user already has (never another user's):
the same email, profile URL or handle; else the same name at the same company. A match is
merged (lists joined without duplicates, empty fields filled, nothing blanked); the rest are
added. Duplicates inside one file are merged the same way.

A generic CSV whose columns are not all recognised is read with a mapping the user chose once
(column header -> contact field), remembered per header row in `User.csv_mappings`.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.contacts import Contact as ExportedContact
from planner.contacts import ContactsError, Parsed, csvfile, decode_text, detect_format
from planner.contacts import parse_contacts as parse_export
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
        **{key: clip_text(getattr(exported, key)) for key in TEXTS},
        **{key: merged_items([], getattr(exported, key), key) for key in LISTS},
    )


def merge_contact(row: Contact, exported: ExportedContact, now: datetime) -> bool:
    """Join `exported` into `row`: lists without duplicates, empty fields filled, nothing
    blanked. True when something changed (then `updated_at` is `now`)."""
    changed = False
    for key in LISTS:
        merged = merged_items(getattr(row, key) or [], getattr(exported, key), key)
        if merged != (getattr(row, key) or []):
            setattr(row, key, merged)  # a new list: JSON columns do not track in-place changes
            changed = True
    for key in (*TEXTS, "notes"):
        value = getattr(exported, key)
        value = clip_text(value) if key in TEXTS else value
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


def merged_items(existing: list[str], new: Iterable[str], key: str) -> list[str]:
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


def clip_text(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value[:MAX_TEXT] or None


def _folded(value: str) -> str:
    return " ".join(value.split())[:MAX_TEXT].casefold()


# --- generic CSV: the columns the user maps once, remembered per header row ---

SAMPLE_CHARS = 65536  # of a file, enough to read its header and first rows
MAX_COLUMNS = 100  # a header with more is not offered for mapping
MAX_MAPPINGS = 50  # remembered per user; the least recently used is forgotten first
NAMES = {"name", "first_name", "last_name"}


@dataclass
class ColumnsToMap:
    """A generic CSV with columns planner does not recognise and no mapping saved for its header:
    the user says which contact field each column holds before it is read."""

    header: list[str]
    samples: list[list[str]]  # the first rows, to show what each column holds
    suggested: dict[str, str]  # column header -> field recognised from its name


def read_export(user: User, data: bytes, fmt: str | None = None) -> Parsed | ColumnsToMap:
    """The contacts in an export file and the warnings, or the columns to map first. A generic
    CSV is read with the user's saved mapping for its header when there is one. ContactsError
    when the file cannot be read."""
    text = decode_text(data)
    if fmt is None:
        try:
            fmt = detect_format(data)
        except ContactsError:
            if not _table_head(text)[1]:
                raise
            fmt = "csv"
    if fmt != "csv":
        return parse_export(data, fmt)
    header, samples = _table_head(text)
    if not header:
        return parse_export(data, "csv")  # no table to map: its own error, or what it holds
    saved = saved_mapping(user, header)
    if saved is not None:
        return parse_export(data, "csv", saved)
    found = csvfile.columns(header, None)
    named = bool(NAMES & set(found.values()))
    if named and all(i in found or not name for i, name in enumerate(header)):
        return parse_export(data, "csv")
    if len(header) > MAX_COLUMNS:
        raise ContactsError(f"{len(header)} columns: at most {MAX_COLUMNS} can be mapped")
    return ColumnsToMap(header, samples, {header[i]: f for i, f in found.items()})


def _table_head(text: str) -> tuple[list[str], list[list[str]]]:
    """The header row and up to three rows after it, when the text is a table of 2+ columns."""
    table = csvfile.rows(text[:SAMPLE_CHARS])
    if len(table) < 2 or len(table[0][1]) < 2:
        return [], []
    return table[0][1], [fields for _, fields in table[1:4]]


def header_signature(header: Sequence[str]) -> str:
    """The key a header row's mapping is remembered under (ignoring case and spacing)."""
    folded = "\x1f".join(" ".join(name.split()).casefold() for name in header)
    return "csv:" + hashlib.sha256(folded.encode()).hexdigest()[:32]


def saved_mapping(user: User, header: Sequence[str]) -> dict[str, str] | None:
    mapping = (user.csv_mappings or {}).get(header_signature(header))
    return dict(mapping) if isinstance(mapping, dict) else None


def remember_mapping(user: User, header: Sequence[str], mapping: Mapping[str, str]) -> None:
    """Keep `mapping` (column header -> contact field, "" to leave a column out) for files with
    this header; ContactsError when it names an unknown field or no column holds the name."""
    unknown = sorted(set(mapping.values()) - set(csvfile.FIELDS) - {""})
    if unknown:
        raise ContactsError(f"unknown contact field {unknown[0]!r}")
    if not NAMES & set(mapping.values()):
        raise ContactsError("no column holds the name: map one to a name field")
    key = header_signature(header)
    kept = {k: v for k, v in (user.csv_mappings or {}).items() if k != key}
    while len(kept) >= MAX_MAPPINGS:
        kept.pop(next(iter(kept)))
    user.csv_mappings = {**kept, key: dict(mapping)}  # a new dict: the JSON column notices


class WaitingUploads:
    """Files waiting, an hour at most, for their columns to be mapped: one file per upload in
    `folder`, named after its owner and a random token (another user's token finds nothing)."""

    SECONDS = 3600

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, user_id: int, data: bytes) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.iterdir():
            if old.stat().st_mtime < time.time() - self.SECONDS:
                old.unlink(missing_ok=True)
        token = secrets.token_urlsafe(16)
        self._path(user_id, token).write_bytes(data)
        return token

    def get(self, user_id: int, token: str) -> bytes | None:
        path = self._path(user_id, token)
        if not path.is_file() or path.stat().st_mtime < time.time() - self.SECONDS:
            return None
        return path.read_bytes()

    def drop(self, user_id: int, token: str) -> None:
        self._path(user_id, token).unlink(missing_ok=True)

    def _path(self, user_id: int, token: str) -> Path:
        safe = "".join(c for c in token if c.isascii() and (c.isalnum() or c in "-_"))[:64]
        return self.folder / f"{user_id}-{safe or 'none'}.upload"
