"""CSV files: the rows every CSV export shares, and the generic CSV whose columns are recognised
by their header names or mapped by the user (column header -> contact field)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from planner.contacts import (
    HANDLE_READERS,
    NOT_CONTACTS,
    Contact,
    ContactsError,
    Parsed,
    contact_named,
    handle_from_url,
    text_or_none,
    web_url,
)

Row = tuple[int, list[str]]  # the line number where the row ends, its fields

# contact field -> header names (lower case, letters only, digits and "value" removed)
HEADERS: dict[str, set[str]] = {
    "name": {"name", "fullname", "displayname", "contact", "contactname", "person"},
    "first_name": {"firstname", "givenname", "first", "forename"},
    "last_name": {"lastname", "familyname", "surname", "last"},
    "email": {"email", "emailaddress", "mail", "emails", "primaryemail", "workemail"},
    "company": {"company", "organization", "organisation", "org", "employer", "companyname"},
    "title": {"title", "position", "jobtitle", "role", "organizationtitle", "occupation"},
    "city": {"city", "location", "town", "addresscity", "homecity", "businesscity", "based"},
    "url": {"url", "website", "web", "webpage", "homepage", "linkedin", "linkedinurl", "profile"},
    "x": {"twitter", "x", "twitterhandle", "xhandle", "twitterusername"},
    "github": {"github", "githubusername", "githubhandle", "githuburl"},
    "mastodon": {"mastodon", "fediverse", "mastodonhandle", "mastodonaddress"},
    "tags": {"tags", "tag", "labels", "label", "groups", "interests", "categories", "topics"},
    "notes": {"notes", "note", "comments", "comment", "description"},
}
HEADERS["company"].add("organizationname")
FIELDS = tuple(HEADERS)


def rows(text: str) -> list[Row]:
    """The non-blank rows of a CSV text, fields stripped; the delimiter (`,` `;` or tab) is the
    one that splits the first lines most; a row a spreadsheet wrapped whole in quotes is unwrapped.
    """
    sample = [line for line in text.splitlines()[:10] if line.strip()]
    try:
        delimiter = max(
            ",;\t", key=lambda d: max((len(f) for f in csv.reader(sample, delimiter=d)), default=0)
        )
        return list(_rows(text, delimiter))
    except csv.Error as exc:  # a field over the csv module's limit (128 KiB), for one
        raise ContactsError(
            f"unreadable CSV ({str(exc).split(' - ')[0]}): {NOT_CONTACTS}"
        ) from None


def _rows(text: str, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for fields in reader:
        if len(fields) == 1 and delimiter in fields[0]:
            fields = next(csv.reader([fields[0]], delimiter=delimiter))
        fields = [f.strip() for f in fields]
        if any(fields):
            yield reader.line_num, fields


def header_key(name: str) -> str:
    """`E-mail 1 - Value` -> `email`: lower case, letters only, digits and "value" dropped."""
    return re.sub(r"[^a-z]", "", name.lower()).replace("value", "")


def columns(header: list[str], mapping: dict[str, str] | None) -> dict[int, str]:
    """Column index -> contact field, from the mapping first, else from the header names."""
    mapping = {header_key(k): v for k, v in (mapping or {}).items()}
    unknown = sorted(set(mapping.values()) - set(FIELDS) - {""})
    if unknown:
        raise ContactsError(f"unknown contact field {unknown[0]!r}: expected {', '.join(FIELDS)}")
    found = {}
    for index, name in enumerate(header):
        key = header_key(name)
        if key in mapping:
            if mapping[key]:
                found[index] = mapping[key]
            continue
        field = next((f for f, names in HEADERS.items() if key in names), None)
        if field:
            found[index] = field
    return found


def _named(found: dict[int, str]) -> bool:
    return bool({"name", "first_name", "last_name"} & set(found.values()))


def detects(text: str) -> bool:
    table = rows(text[:65536])
    return bool(table) and len(table[0][1]) > 1 and _named(columns(table[0][1], None))


def parse(text: str, mapping: dict[str, str] | None = None) -> Parsed:
    table = rows(text)
    if not table:
        raise ContactsError(NOT_CONTACTS)
    found = columns(table[0][1], mapping)
    if not _named(found):
        raise ContactsError(f"no name column in the CSV header: {NOT_CONTACTS}")
    contacts, warnings = [], []
    for line, fields in table[1:]:
        values: dict[str, list[str]] = {}
        for index, field in found.items():
            if index < len(fields) and fields[index]:
                values.setdefault(field, []).append(fields[index])
        contact = _contact(values)
        if contact is None:
            warnings.append(f"row {line}: skipped, no name and no email")
        else:
            contacts.append(contact)
    return contacts, warnings


def _contact(values: dict[str, list[str]]) -> Contact | None:
    def one(field: str) -> str | None:
        return text_or_none(" ".join(values.get(field, [])))

    name = one("name") or " ".join(filter(None, [one("first_name"), one("last_name")]))
    urls = [u for v in values.get("url", []) for u in _split(v) if web_url(u)]
    handles = [h for k in ("mastodon", "github", "x") for h in _handles(k, values.get(k, []))]
    handles += [h for u in urls if (h := handle_from_url(web_url(u) or ""))]
    return contact_named(
        name,
        "csv",
        [e for v in values.get("email", []) for e in _split(v)],
        handles=handles,
        urls=[web_url(u) or u for u in urls],
        company=one("company"),
        title=one("title"),
        city=one("city"),
        tags=[t.lstrip("* ") for v in values.get("tags", []) for t in _split(v)],
        notes=text_or_none("\n".join(values.get("notes", []))),
    )


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"\s*(?:[,;|]|:::)\s*", value) if part.strip()]


def _handles(kind: str, values: list[str]) -> list[str]:
    read = HANDLE_READERS[kind]
    return [h for v in values for part in _split(v) if (h := read(part))]
