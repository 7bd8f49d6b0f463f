"""The text of an iCalendar feed: decoded, cut into VEVENTs grouped by UID and hashed (to read only
what changed, in batches), and repaired where exporters break the format. No parsing here."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

_FOLD = re.compile(r"\r?\n[ \t]")
_CONTENT_LINE = re.compile(r"^[A-Za-z0-9-]+(;[^\r\n]*?)?:", re.ASCII)
_VEVENT = re.compile(r"^BEGIN:VEVENT\r?$.*?^END:VEVENT\r?$\n?", re.M | re.S | re.I)
_UID = re.compile(r"^UID(?:;[^:\r\n]*)?:(.*?)\r?$", re.M | re.I)
_UID_LINE = "UID:"
_NO_UID = "no-uid-"
_DTSTAMP = re.compile(r"^DTSTAMP[;:].*$", re.M | re.I)
VTIMEZONE = re.compile(r"^BEGIN:VTIMEZONE\r?$.*?^END:VTIMEZONE\r?$\n?", re.M | re.S | re.I)


def decode(data: bytes) -> str:
    """Text of a feed: UTF-8 (with or without BOM), else Windows-1252, the usual culprit."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


@dataclass
class FeedParts:
    """A feed cut into its VEVENTs grouped by UID, for reading in batches or only what changed."""

    header: str  # everything outside the VEVENTs: calendar properties, VTIMEZONEs
    groups: dict[str, list[str]]  # uid -> the VEVENT blocks that carry it (series + overrides)
    hashes: dict[str, str]  # uid -> hash of header + blocks (DTSTAMP lines left out)
    whole: str | None = None  # the text to parse: as read (several calendars) or joined

    @property
    def single_calendar(self) -> bool:
        return self.header.upper().count("BEGIN:VCALENDAR") == 1

    @property
    def text(self) -> str:
        if self.whole is None:
            self.whole = self._join(self.groups)
        return self.whole

    def select(self, uids: Iterable[str]) -> FeedParts:
        """The same feed with only the VEVENTs of `uids` (header, time zones and all)."""
        groups = {uid: self.groups[uid] for uid in uids if uid in self.groups}
        return FeedParts(self.header, groups, {uid: self.hashes[uid] for uid in groups})

    def subset(self, uids: Iterable[str]) -> bytes:
        return self.select(uids).text.encode()

    def _join(self, groups: dict[str, list[str]]) -> str:
        blocks = "".join(b for group in groups.values() for b in group)
        cut = self.header.upper().rfind("END:VCALENDAR")
        if cut < 0:
            return self.header + blocks
        return self.header[:cut] + blocks + self.header[cut:]


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def split(data: bytes | FeedParts) -> FeedParts:
    """Cut a feed into UID groups and hash each, in one pass; cheap next to parsing it.

    A VEVENT without a UID gets one made from its text, so that it keeps its identity; the
    DTSTAMP lines (the export time, new on every download) do not count towards a group's hash.
    """
    if isinstance(data, FeedParts):
        return data
    text = decode(data)
    pieces: list[str] = []
    groups: dict[str, list[str]] = {}
    position = 0
    for match in _VEVENT.finditer(text):
        pieces.append(text[position : match.start()])
        position = match.end()
        uid, block = _uid_of(match.group(0))
        groups.setdefault(uid, []).append(block)
    pieces.append(text[position:])
    header = "".join(pieces)
    head = digest(header.encode())
    hashes = {
        uid: digest((head + _DTSTAMP.sub("", "".join(blocks))).encode())
        for uid, blocks in groups.items()
    }
    parts = FeedParts(header, groups, hashes)
    parts.whole = None if parts.single_calendar else text
    return parts


def _uid_of(block: str) -> tuple[str, str]:
    """(UID, block), the block given a UID made from its text when it has none."""
    found = _UID.search(block)
    if found is None:
        newline = "\r\n" if "\r\n" in block else "\n"
        first, rest = block.split("\n", 1)
        uid = f"{_NO_UID}{digest(block.encode())}"
        return uid, f"{first}\n{_UID_LINE}{uid}{newline}{rest}"
    if block[found.end() : found.end() + 3].lstrip("\r\n")[:1] in (" ", "\t"):
        found = _UID.search(_FOLD.sub("", block))  # a folded UID (Exchange)
        assert found is not None
    return found.group(1).strip(), block


def repair(text: str) -> str:
    """Fix what breaks icalendar: raw newlines inside values, blank lines, stray bytes.

    A line that is not `NAME[;PARAMS]:VALUE` continues the previous value."""
    lines: list[list[str]] = []
    for line in _FOLD.sub("", text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            continue
        if _CONTENT_LINE.match(line) or not lines:
            lines.append([line])
        else:
            lines[-1].append(line.replace(",", "\\,").replace(";", "\\;"))
    return "\r\n".join("\\n".join(parts) for parts in lines) + "\r\n"
