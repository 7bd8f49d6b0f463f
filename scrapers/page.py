"""A fetched web page as readers see it: text decoded from its bytes, a soup built on demand."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from bs4 import BeautifulSoup

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def charset_of(data: bytes, declared: str | None = None) -> str:
    """The page's encoding from its bytes: a BOM, else `<meta charset>` (when the bytes agree),
    else the declared (HTTP) charset, else UTF-8 if the bytes are UTF-8, else Windows-1252."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    candidates = []
    found = _META_CHARSET.search(data[:4096])
    if found:
        candidates.append(found.group(1).decode("ascii", "ignore"))
    if declared:
        candidates.append(declared)
    candidates += ["utf-8", "cp1252"]
    for name in candidates:
        try:
            codec = codecs.lookup(name).name
            data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
        return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec
    return "cp1252"


@dataclass
class Page:
    """`text` and `url` of one page; `soup` (lxml) is parsed the first time a reader asks."""

    text: str
    url: str | None = None
    notes: list[str] = field(default_factory=list)  # warnings for the source's owner

    @classmethod
    def from_bytes(cls, data: bytes, url: str | None, declared: str | None = None) -> Page:
        encoding = charset_of(data, declared)
        return cls(data.decode(encoding, errors="replace").lstrip("\ufeff"), url)

    @cached_property
    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.text, "lxml")

    def absolute(self, href: Any) -> str | None:
        """`href` resolved against the page (and its <base href>), http(s) only."""
        if not isinstance(href, str) or not href.strip():
            return None
        resolved = urljoin(self.base or "", href.strip())
        return resolved if resolved.startswith(("http://", "https://")) else None

    @cached_property
    def base(self) -> str | None:
        found = re.search(r"""<base\s[^>]*href\s*=\s*["']([^"']+)""", self.text[:20000], re.I)
        if found and self.url:
            return urljoin(self.url, found.group(1))
        return self.url
