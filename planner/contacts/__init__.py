"""Contacts from export files: LinkedIn `Connections.csv`, vCard 3/4, Mastodon follows, any CSV.

Pure: bytes in, `Contact`s and warnings out; no database, network or clock. The format is
detected from the content (`detect_format`) unless the caller names it. Each format has its
reader module (`linkedin`, `vcard`, `mastodon`, `csvfile`) offering `detects(text)` and
`parse(text)`; this module holds what they share: the contact, the error, the decoding of bytes
and the spelling of handles.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

FORMATS = ("linkedin", "vcard", "mastodon", "csv")
NOT_CONTACTS = (
    "not a contacts export: expected LinkedIn Connections.csv, vCard, a Mastodon follows export "
    "or a CSV with a name column"
)

Parsed = tuple[list["Contact"], list[str]]


class ContactsError(Exception):
    """A file that cannot be read as contacts; the message says why, in one line."""


@dataclass
class Contact:
    """One person as an export describes them."""

    name: str
    source: str  # "linkedin" | "vcard" | "mastodon" | "csv"
    emails: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)  # "@user@host", "github:user", "x:user"
    urls: list[str] = field(default_factory=list)
    company: str | None = None
    title: str | None = None
    city: str | None = None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "emails": self.emails,
            "handles": self.handles,
            "urls": self.urls,
            "company": self.company,
            "title": self.title,
            "city": self.city,
            "tags": self.tags,
            "notes": self.notes,
            "source": self.source,
        }


def detect_format(data: bytes) -> str:
    """The format of an export ("linkedin", "vcard", "mastodon" or "csv"), or `ContactsError`."""
    return _detect(decode_text(data))


def parse_contacts(
    data: bytes, fmt: str | None = None, mapping: dict[str, str] | None = None
) -> Parsed:
    """The contacts in an export and the warnings about what was skipped.

    `fmt` forces a reader; `mapping` (column header -> contact field, see `csvfile.FIELDS`) reads
    the file as a generic CSV with those columns."""
    text = decode_text(data)
    if fmt is None:
        fmt = "csv" if mapping else _detect(text)
    if fmt not in FORMATS:
        raise ContactsError(
            f"unknown contacts format {fmt!r}: expected one of {', '.join(FORMATS)}"
        )
    _, parse = _readers()[fmt]
    return parse(text, mapping)


Reader = tuple[Callable[[str], bool], Callable[..., Parsed]]


def _readers() -> dict[str, Reader]:
    """Each format's `detects(text)` and `parse(text)`, in the order detection tries them."""
    from planner.contacts import csvfile, linkedin, mastodon, vcard

    return {
        "vcard": (vcard.detects, lambda text, _: vcard.parse(text)),
        "linkedin": (linkedin.detects, lambda text, _: linkedin.parse(text)),
        "mastodon": (mastodon.detects, lambda text, _: mastodon.parse(text)),
        "csv": (csvfile.detects, csvfile.parse),
    }


def _detect(text: str) -> str:
    for name, (detects, _) in _readers().items():
        if detects(text):
            return name
    raise ContactsError(NOT_CONTACTS)


def decode_text(data: bytes) -> str:
    """The text of an export: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if not text.strip():
        raise ContactsError("the file is empty: " + NOT_CONTACTS)
    if "\x00" in text or _controls(text) > len(text) // 100:
        raise ContactsError("binary data, " + NOT_CONTACTS)
    return text


def _controls(text: str) -> int:
    sample = text[:65536]
    return sum(1 for c in sample if ord(c) < 32 and c not in "\r\n\t\f\v")


def contact_named(
    name: str, source: str, emails: Iterable[str], **fields: object
) -> Contact | None:
    """A contact with `name`, else named after its first email; None when neither is there."""
    found = unique(e.strip().removeprefix("mailto:") for e in emails if "@" in e)
    name = " ".join(name.split()) or (found[0] if found else "")
    if not name:
        return None
    contact = Contact(name=name, source=source, emails=found)
    for key, value in fields.items():
        setattr(contact, key, unique(value) if isinstance(value, list) else value)
    return contact


def unique(values: Iterable[str]) -> list[str]:
    """Non-empty values, stripped, first spelling kept, duplicates (ignoring case) dropped."""
    seen: set[str] = set()
    kept = []
    for value in values:
        value = value.strip()
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return kept


def text_or_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def web_url(value: str) -> str | None:
    """A profile or home-page address; other URIs (`tel:`, `geo:`, `mailto:`...) are not."""
    value = value.strip()
    if re.match(r"(?i)https?://\S+$", value):
        return value
    if re.match(r"(?i)(www\.)?[\w-]+(\.[\w-]+)+(/\S*)?$", value) and "@" not in value:
        return "https://" + value
    return None


_MASTODON = re.compile(r"@?(?P<user>[\w.-]+)(?:@(?P<host>[^\s@/,;:]+))?")
_X_HOSTS = {"twitter.com", "x.com", "mobile.twitter.com"}


def mastodon_handle(value: str) -> str | None:
    """`@user@host` from "user@host", "@user@host" or "https://host/@user"; "@user" for a local
    name. The host is kept as written (internationalized domains included)."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        user = re.fullmatch(r"/@([\w.-]+)/?", parts.path)
        return f"@{user.group(1)}@{parts.netloc}" if user else None
    found = _MASTODON.fullmatch(value)
    if not found:
        return None
    host = found.group("host")
    return f"@{found.group('user')}@{host}" if host else f"@{found.group('user')}"


def github_handle(value: str) -> str | None:
    user = _profile_user(value, {"github.com"}, r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
    return f"github:{user}" if user else None


def x_handle(value: str) -> str | None:
    user = _profile_user(value, _X_HOSTS, r"\w{1,15}")
    return f"x:{user}" if user else None


def _profile_user(value: str, hosts: set[str], pattern: str) -> str | None:
    value = value.strip()
    if "/" in value:
        parts = urlsplit(value if "://" in value else "https://" + value)
        if parts.netloc.lower().removeprefix("www.") not in hosts:
            return None
        value = parts.path.strip("/").split("/")[0]
    value = value.removeprefix("@")
    return value if re.fullmatch(pattern, value) else None


HANDLE_READERS: dict[str, Callable[[str], str | None]] = {
    "mastodon": mastodon_handle,
    "github": github_handle,
    "x": x_handle,
    "twitter": x_handle,
}


def handle_from_url(url: str, hint: str = "") -> str | None:
    """The handle a profile address stands for (GitHub, X/Twitter, Mastodon `/@user`), if any."""
    hint = hint.lower()
    for kind, reader in HANDLE_READERS.items():
        if kind in hint and (handle := reader(url)):
            return handle
    host = urlsplit(url).netloc.lower().removeprefix("www.")
    if host == "github.com":
        return github_handle(url)
    if host in _X_HOSTS:
        return x_handle(url)
    return mastodon_handle(url) if "/@" in url else None
