"""LinkedIn `Connections.csv`: today's export (a "Notes:" preamble, then the header
`First Name,Last Name,URL,Email Address,Company,Position,Connected On`) and older ones (six columns
without URL, no header, rows re-quoted by a spreadsheet)."""

from __future__ import annotations

import re

from planner.contacts import Contact, Parsed, contact_named, text_or_none, web_url
from planner.contacts.csvfile import Row, header_key, rows

WITH_URL = ("first", "last", "url", "email", "company", "position", "connected")
WITHOUT_URL = ("first", "last", "email", "company", "position", "connected")
HEADER_NAMES = {
    "firstname": "first",
    "lastname": "last",
    "url": "url",
    "emailaddress": "email",
    "company": "company",
    "position": "position",
    "connectedon": "connected",
}
_DATE = re.compile(
    r"\d{1,2}[ -][A-Za-z]{3,9}[ ,-]+\d{4}|[A-Za-z]{3,9} \d{1,2},? \d{4}"
    r"|\d{1,2}/\d{1,2}/\d{2,4}(,? .*)?|\d{4}-\d{2}-\d{2}"
)


def _header(fields: list[str]) -> tuple[str, ...] | None:
    """The column names when `fields` is a LinkedIn header (it names the "Connected On" date)."""
    names = tuple(HEADER_NAMES.get(header_key(f), "") for f in fields)
    return names if {"first", "last", "connected"} <= set(names) else None


def _layout(fields: list[str]) -> tuple[str, ...] | None:
    """The columns of a header-less row: six or seven fields ending with the date connected."""
    while len(fields) > 7 and not fields[-1]:
        fields = fields[:-1]
    if len(fields) not in (6, 7) or not _DATE.fullmatch(fields[-1]):
        return None
    return WITH_URL if len(fields) == 7 else WITHOUT_URL


def _start(table: list[Row]) -> tuple[tuple[str, ...] | None, list[Row]]:
    """The header (None when there is none) and the data rows after it and any preamble."""
    for index, (_, fields) in enumerate(table[:6]):
        if names := _header(fields):
            return names, table[index + 1 :]
    if table and table[0][1][0].lower() == "notes:":
        table = table[2:] if len(table) > 1 and len(table[1][1]) == 1 else table[1:]
    return None, table


def detects(text: str) -> bool:
    names, data = _start(rows(text[:65536]))
    return names is not None or (bool(data) and _layout(data[0][1]) is not None)


def parse(text: str) -> Parsed:
    names, data = _start(rows(text))
    contacts, warnings = [], []
    for line, fields in data:
        layout = names or _layout(fields)
        if layout is None:
            warnings.append(f"row {line}: skipped, {len(fields)} fields is not a LinkedIn row")
            continue
        contact = _contact(dict(zip(layout, fields, strict=False)))
        if contact is None:
            warnings.append(f"row {line}: skipped, no name and no email")
        else:
            contacts.append(contact)
    return contacts, warnings


def _contact(row: dict[str, str]) -> Contact | None:
    url = web_url(row.get("url", ""))
    return contact_named(
        f"{row.get('first', '')} {row.get('last', '')}",
        "linkedin",
        [row.get("email", "")],
        urls=[url] if url else [],
        company=text_or_none(row.get("company")),
        title=text_or_none(row.get("position")),
    )
