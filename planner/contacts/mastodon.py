"""Mastodon follow exports: `Account address,Show boosts,Notify on new posts,Languages`, the older
two-column `Account address,Show boosts`, and the header-less legacy list of one address a line.
Addresses are kept as written (internationalized domains too); a bare local name is `@name`."""

from __future__ import annotations

from planner.contacts import Contact, Parsed, mastodon_handle
from planner.contacts.csvfile import Row, header_key, rows

_FLAGS = {"true", "false", ""}


def _data(table: list[Row]) -> list[Row] | None:
    """The rows after the header, or all rows when they are a header-less list of addresses."""
    if table and header_key(table[0][1][0]) == "accountaddress":
        return table[1:]
    head = table[:50]
    if head and all(map(_legacy, (f for _, f in head))) and any("@" in f[0][1:] for _, f in head):
        return table
    return None


def _legacy(fields: list[str]) -> bool:
    flags = {f.lower() for f in fields[1:3]}
    return mastodon_handle(fields[0]) is not None and flags <= _FLAGS and "://" not in fields[0]


def detects(text: str) -> bool:
    return _data(rows(text[:65536])) is not None


def parse(text: str) -> Parsed:
    data = _data(rows(text))
    if data is None:  # forced: every row is read as an address
        data = rows(text)
    contacts, warnings = [], []
    for line, fields in data:
        handle = mastodon_handle(fields[0]) if "://" not in fields[0] else None
        if handle is None:
            warnings.append(f"row {line}: skipped, {fields[0]!r} is not a Mastodon address")
            continue
        contacts.append(Contact(name=handle[1:], source="mastodon", handles=[handle]))
    return contacts, warnings
