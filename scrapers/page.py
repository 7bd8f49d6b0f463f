"""A fetched web page as readers see it: text decoded from its bytes, its lxml tree (and, for the
heuristic reader, a BeautifulSoup) built on demand; the text and inner HTML of a tree's elements."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol
from urllib.parse import urljoin

from bs4 import BeautifulSoup
from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement

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
    """`text` and `url` of one page; `tree` and `soup` are parsed the first time a reader asks."""

    text: str
    url: str | None = None
    notes: list[str] = field(default_factory=list)  # warnings for the source's owner

    @classmethod
    def from_bytes(cls, data: bytes, url: str | None, declared: str | None = None) -> Page:
        encoding = charset_of(data, declared)
        return cls(data.decode(encoding, errors="replace").lstrip("\ufeff"), url)

    @cached_property
    def tree(self) -> HtmlElement:
        """The page's `<html>` element as lxml parses it (a fragment gets its html and body, an
        empty page an empty html element): a tenth of the cost of `soup`. The decoded text is
        parsed as UTF-8, so no `<?xml encoding?>` or stale `<meta charset>` can change it."""
        parser = lxml_html.HTMLParser(encoding="utf-8")  # one per page: parsers hold state
        try:
            return lxml_html.document_fromstring(self.text.encode("utf-8", "replace"), parser)
        except etree.ParserError:  # nothing but whitespace or comments
            return lxml_html.Element("html")

    @cached_property
    def soup(self) -> BeautifulSoup:
        """The page as BeautifulSoup (on lxml): richer to navigate, ten times slower to build."""
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


class Node(Protocol):
    """An element of either tree, `Page.tree` (lxml) or `Page.soup` (BeautifulSoup)."""

    def get(self, key: str, /) -> object: ...


def attr(node: Node, name: str) -> str | None:
    """A single-valued attribute as a string, or None (BeautifulSoup gives `class` as a list)."""
    value = node.get(name)
    return value if isinstance(value, str) else None


# fmt: off
# Text in these belongs to them alone (BeautifulSoup's string containers): a <script> inside a
# description is no part of its text.
_CONTAINERS = ("script", "style", "template", "rt", "rp")
_VOID = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link",
                   "menuitem", "meta", "param", "source", "track", "wbr", "basefont", "bgsound",
                   "command", "frame", "image", "isindex", "nextid", "spacer"))
_RAW = ("script", "style")  # their text is written out unescaped
_KEPT_SPACE = ("pre", "textarea")  # whitespace-only text in these is not shortened
_LISTS = {"*": ("class", "accesskey", "dropzone"), "a": ("rel", "rev"), "link": ("rel", "rev"),
          "td": ("headers",), "th": ("headers",), "form": ("accept-charset",), "area": ("rel",),
          "object": ("archive",), "icon": ("sizes",), "iframe": ("sandbox",), "output": ("for",)}
# fmt: on
_INNERMOST = "|".join(f"ancestor::{name}" for name in _CONTAINERS)
_TEXTS = etree.XPath(
    f"descendant::text()[name(({_INNERMOST})[last()]) = $own]", smart_strings=False
)


def inner_text(node: HtmlElement) -> str:
    """The element's text on one line, as BeautifulSoup's `get_text(" ")` gives it: its strings
    joined by spaces, without comments or what scripts, styles and templates hold."""
    own = node.tag if node.tag in _CONTAINERS else ""
    return " ".join(" ".join(_TEXTS(node, own=own)).split())


def inner_html(node: HtmlElement) -> str:
    """The element's content as HTML, written as BeautifulSoup's `decode_contents()` writes it
    (sorted attributes, `<br/>`, whitespace-only text shortened), so readers give the same text
    whichever tree they read."""
    kept = node.tag in _KEPT_SPACE or any(a.tag in _KEPT_SPACE for a in node.iterancestors())
    return "".join(_contents(node, kept))


def _contents(node: HtmlElement, kept: bool) -> list[str]:
    pieces = [_string(node.text, node, kept)]
    for child in node:
        if child.tag is etree.Comment:
            pieces.append(f"<!--{child.text or ''}-->")
        elif isinstance(child.tag, str):
            pieces.append(_start(child))
            if child.tag not in _VOID or len(child) or child.text:
                inside = kept or child.tag in _KEPT_SPACE
                pieces += [*_contents(child, inside), f"</{child.tag}>"]
        pieces.append(_string(child.tail, node, kept))
    return pieces


def _start(node: HtmlElement) -> str:
    lists = _LISTS["*"] + _LISTS.get(node.tag, ())
    attributes = ""
    for key, value in sorted(node.attrib.items()):
        value = " ".join(value.split()) if key in lists else value
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if '"' in value:
            value = f"'{value}'" if "'" not in value else f'"{value.replace(chr(34), "&quot;")}"'
        else:
            value = f'"{value}"'
        attributes += f" {key}={value}"
    empty = node.tag in _VOID and not len(node) and not node.text
    return f"<{node.tag}{attributes}{'/' if empty else ''}>"


def _string(text: str | None, parent: HtmlElement, kept: bool) -> str:
    if not text:
        return ""
    if not kept and not text.strip(" \n\t\f\r"):
        return "\n" if "\n" in text else " "
    if parent.tag in _RAW:
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
