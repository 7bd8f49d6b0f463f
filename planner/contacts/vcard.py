"""vCard 3.0 and 4.0 (2.1 tolerated): several cards a file, folded lines, escaped text, `item1.`
property groups labelled by X-ABLabel, TYPE parameters, CRLF or LF, with or without a final
newline. Read: FN (else N), EMAIL, URL, X-SOCIALPROFILE, ORG, TITLE, ADR (city), CATEGORIES, NOTE.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass

from planner.contacts import (
    HANDLE_READERS,
    Contact,
    ContactsError,
    Parsed,
    contact_named,
    handle_from_url,
    text_or_none,
    web_url,
)

_ESCAPES = {"n": "\n", "N": "\n"}


@dataclass
class Prop:
    """One content line: `[group.]NAME;PARAM=a,b:value` (value still escaped)."""

    group: str
    name: str
    params: dict[str, list[str]]
    value: str

    def param(self, key: str) -> list[str]:
        return [v.lower() for v in self.params.get(key, [])]

    @property
    def text(self) -> str:
        return unescape(self.value)

    @property
    def parts(self) -> list[str]:
        return [unescape(p) for p in split_escaped(self.value, ";")]


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), value)


def split_escaped(value: str, separator: str) -> list[str]:
    """`value` split at each `separator` not escaped by a backslash (parts stay escaped)."""
    parts, start, index = [], 0, 0
    while index < len(value):
        if value[index] == "\\":
            index += 2
            continue
        if value[index] == separator:
            parts.append(value[start:index])
            start = index + 1
        index += 1
    return [*parts, value[start:]]


def unfold(text: str) -> list[str]:
    lines: list[str] = []
    for line in re.split(r"\r\n|\r|\n", text):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]
        elif line.strip():
            lines.append(line)
    return lines


def read_prop(line: str) -> Prop | None:
    head, colon, value = _split_unquoted(line, ":")
    if not colon:
        return None
    name, *params = [p for p in _split_all(head, ";")]
    group, _, name = name.rpartition(".")
    found: dict[str, list[str]] = {}
    for param in params:
        key, equals, values = param.partition("=")
        key, values = (key, values) if equals else ("TYPE", key)  # vCard 2.1: bare `;WORK`
        found.setdefault(key.strip().upper(), []).extend(
            v.strip().strip('"') for v in values.split(",")
        )
    prop = Prop(group.lower(), name.strip().upper(), found, value)
    if "quoted-printable" in prop.param("ENCODING"):
        charset = (prop.param("CHARSET") or ["utf-8"])[0]
        prop.value = quopri.decodestring(value.encode()).decode(charset, errors="replace")
    return prop


def _split_unquoted(line: str, separator: str) -> tuple[str, str, str]:
    if '"' not in line:  # the usual line: no quoted parameter value to step over
        return line.partition(separator)
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            return line[:index], separator, line[index + 1 :]
    return line, "", ""


def _split_all(line: str, separator: str) -> list[str]:
    if '"' not in line:
        return line.split(separator)
    parts = []
    while True:
        head, found, line = _split_unquoted(line, separator)
        parts.append(head)
        if not found:
            return parts


def cards(text: str) -> Iterator[tuple[int, list[Prop]]]:
    """Each card's number (from 1) and properties; an unterminated last card counts too."""
    card: list[Prop] | None = None
    number = 0
    for line in unfold(text):
        prop = read_prop(line)
        if prop is None:
            continue
        if prop.name == "BEGIN" and prop.value.strip().upper() == "VCARD":
            number += 1
            card = []
        elif prop.name == "END" and prop.value.strip().upper() == "VCARD":
            if card is not None:
                yield number, card
            card = None
        elif card is not None:
            card.append(prop)
    if card is not None:
        yield number, card


def detects(text: str) -> bool:
    return re.search(r"(?im)^BEGIN:VCARD\s*$", text[:65536]) is not None


def parse(text: str) -> Parsed:
    if not detects(text):
        raise ContactsError("no BEGIN:VCARD line: not a vCard file")
    contacts, warnings = [], []
    for number, props in cards(text):
        contact = _contact(props)
        if contact is None:
            warnings.append(f"vCard {number}: skipped, no name and no email")
        else:
            contacts.append(contact)
    return contacts, warnings


def _contact(props: list[Prop]) -> Contact | None:
    labels = {p.group: p.text for p in props if p.name == "X-ABLABEL" and p.group}
    urls = [(u, labels.get(p.group, "")) for p in _all(props, "URL") if (u := web_url(p.text))]
    handles = [h for u, label in urls if (h := handle_from_url(u, label))]
    social = [_social(p) for p in _all(props, "X-SOCIALPROFILE", "SOCIALPROFILE")]
    org = _first(props, "ORG")
    return contact_named(
        _name(props),
        "vcard",
        [p.text for p in _all(props, "EMAIL")],
        handles=handles + [h for h, _ in social if h],
        urls=[u for u, _ in urls] + [u for _, u in social if u],
        company=text_or_none(org.parts[0]) if org else None,
        title=text_or_none(p.text) if (p := _first(props, "TITLE")) else None,
        city=_city(props),
        tags=[unescape(t) for p in _all(props, "CATEGORIES") for t in split_escaped(p.value, ",")],
        notes=text_or_none("\n\n".join(p.text.strip() for p in _all(props, "NOTE"))),
    )


def _all(props: list[Prop], *names: str) -> list[Prop]:
    return [p for p in props if p.name in names]


def _first(props: list[Prop], name: str) -> Prop | None:
    return next(iter(_all(props, name)), None)


def _name(props: list[Prop]) -> str:
    names = _all(props, "FN")
    plain = [p for p in names if not p.params.get("LANGUAGE")]
    if full := (plain or names) and (plain or names)[0].text.strip():
        return full
    n = _first(props, "N")
    if n is None:
        return ""
    parts = (n.parts + [""] * 5)[:5]  # family; given; additional; prefixes; suffixes
    return " ".join(p for p in (parts[3], parts[1], parts[2], parts[0], parts[4]) if p.strip())


def _city(props: list[Prop]) -> str | None:
    """The locality of the preferred address (PREF=1 or TYPE=pref), else of the first one."""
    addresses = _all(props, "ADR")
    addresses.sort(key=lambda p: not ("1" in p.param("PREF") or "pref" in p.param("TYPE")))
    for address in addresses:
        parts = address.parts
        if len(parts) > 3 and parts[3].strip():
            return parts[3].strip()
    return None


def _social(prop: Prop) -> tuple[str | None, str | None]:
    """(handle, profile URL) of an X-SOCIALPROFILE;TYPE=twitter;X-USER=name:https://... line."""
    url = web_url(prop.text)
    user = (prop.params.get("X-USER") or [""])[0]
    for kind in prop.param("TYPE"):
        reader = HANDLE_READERS.get(kind)
        if reader and (handle := reader(user or prop.text) or (url and reader(url))):
            return handle, url
    return (handle_from_url(url) if url else None), url
