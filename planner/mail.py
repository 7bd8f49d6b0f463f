"""Outgoing mail, composed: the message (text + HTML, list headers, one-click unsubscribe), a
digest's mail for its user, the signed unsubscribe token, and the errors of handing mail over.

    message = digest_message(user, digest, now, message_id)   # the digest's mail, links signed
    text, html = render(digest, env, links)                    # templates/mail/digest.*
    message = build_message(sender=..., recipient=..., subject=..., text=..., html=..., ...)
    flatten(message)                                           # its bytes, as SMTP carries them
    unsubscribe_token(secret, user_id, key) / unsubscribe_claim(secret, token)

Where a message goes is `planner.outbox.transport_for` (an SMTP server, `planner.smtp`, or the
instance's outbox folder). A MailError means the message was not accepted; MailUncertain (a
MailError) that the server had it when its answer was lost, so that it may or may not arrive.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.generator import BytesGenerator
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, Serializer, URLSafeSerializer
from itsdangerous.encoding import base64_encode
from jinja2 import Environment, pass_environment
from jinja2.filters import do_wordwrap

from planner.accounts import is_email
from planner.digest import Digest
from planner.models import User

UNSUBSCRIBE_SALT = "unsubscribe"
VERBATIM = frozenset({"list-unsubscribe", "list-unsubscribe-post"})  # never folded or encoded
# The parts' boundary: "=_" never occurs in a quoted-printable or base64 part ("=" is followed
# by hex digits or a line end there; "_" is no base64 letter), so one boundary serves every
# message (RFC 2045, 6.7): no part is searched for it, and its header is parsed once.
BOUNDARY = "=_planner_part"


class MailError(Exception):
    """A message that could not be handed over; `where` names the server (or the folder)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem = where, problem


class MailUncertain(MailError):
    """The message went out but the server's answer never came: it may or may not have been
    accepted (sending it again could deliver it twice)."""


# --- the unsubscribe token --------------------------------------------------------------------


def new_mail_key() -> str:
    return secrets.token_urlsafe(24)


class _Unsubscribe(URLSafeSerializer):
    """itsdangerous' URL-safe tokens without its try at zlib: a user id and a random key never
    come out shorter, so the tokens are the same, less a 256 KB zlib state made for each one
    (compressed ones still load)."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


@functools.lru_cache(maxsize=4)
def _unsubscribe_signer(secret: str) -> _Unsubscribe:
    return _Unsubscribe(secret, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(secret: str, user_id: int, key: str) -> str:
    """A token naming the user and their current mail key: a new key revokes it."""
    return _unsubscribe_signer(secret).dumps({"u": user_id, "k": key})


def unsubscribe_claim(secret: str, token: str) -> tuple[int, str] | None:
    """(user id, mail key) of a token this secret signed, else None."""
    try:
        data = _unsubscribe_signer(secret).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user_id, key = data.get("u"), data.get("k")
    if not isinstance(user_id, int) or not isinstance(key, str):
        return None
    return user_id, key


# --- the message ------------------------------------------------------------------------------


class MailPolicy(EmailPolicy):
    """SMTP's policy (CRLF, lines folded at 78), except that the list headers are written as
    they are, on one line: a mail provider reads `List-Unsubscribe: <https://...>` literally,
    and an encoded-word (which a long URL with no space to fold at would become) is not
    allowed there (RFC 2369). Any other header that is printable ASCII, holds nothing that
    reads as an encoded-word and fits in 78 characters is written as it is too: folding would
    not change it (and takes a third of the time of sending a digest). Such a value is also
    kept as it is given, and parsed only when read: most headers of a message being sent never
    are (parsing them took a sixth of the time of sending a digest)."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if type(value) is str and self._verbatim(name, value) is not None:
            return name, value
        return super().header_store_parse(name, value)

    def fold(self, name: str, value: str) -> str:
        plain = self._verbatim(name, value)
        return plain if plain is not None else super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        plain = self._verbatim(name, value)
        return plain.encode("ascii") if plain is not None else super().fold_binary(name, value)

    def _verbatim(self, name: str, value: str) -> str | None:
        text = str(value)
        if not text.isascii() or not text.isprintable() or text != text.strip():
            return None
        limit = 998 if name.lower() in VERBATIM else self.max_line_length or 78
        if len(name) + 2 + len(text) > limit:  # RFC 5322's hard limit for the list headers
            return None
        if "=?" in text and name.lower() not in VERBATIM:  # would read as an encoded-word
            return None
        return f"{name}: {text}{self.linesep}"


class _Headers(HeaderRegistry):
    """The standard header classes, each made once (the registry makes a new class at every
    lookup), and the header values many messages share (From, the parts' Content-Type, read at
    every flattening; a subject) parsed once: a header object never changes once made."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}
        self._parsed = functools.lru_cache(maxsize=256)(super().__call__)

    def __getitem__(self, name: str) -> type:
        kind = self._classes.get(name.lower())
        if kind is None:
            kind = self._classes[name.lower()] = super().__getitem__(name)
        return kind

    def __call__(self, name: str, value: Any) -> Any:
        if type(value) is str and len(value) <= 200:
            return self._parsed(name, value)
        return super().__call__(name, value)


MAIL_POLICY = MailPolicy(header_factory=_Headers()) + SMTP_POLICY


def new_message_id(base_url: str) -> str:
    """A Message-ID on our public host name."""
    return make_msgid(domain=urlsplit(base_url).hostname or "localhost")


def build_message(
    *,
    sender: str,
    recipient: str,
    recipient_name: str | None,
    subject: str,
    text: str,
    html: str,
    base_url: str,
    unsubscribe_url: str | None,
    now: datetime,
    message_id: str | None = None,
) -> EmailMessage:
    """multipart/alternative (text, then HTML); with `unsubscribe_url`, the list headers mail
    providers read (a digest), without, none (a one-off message such as a confirmation)."""
    host = urlsplit(base_url).hostname or "localhost"
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = sender
    message["To"] = _recipient(recipient, recipient_name)
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or new_message_id(base_url)
    if unsubscribe_url is not None:
        message["List-Id"] = f"planner digest <digest.{host}>"
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = f'multipart/alternative; boundary="{BOUNDARY}"'
    message.attach(_part("plain", "quoted-printable", _quoted_printable(text)))
    message.attach(_part("html", "base64", _base64(html)))
    return message


def _part(subtype: str, encoding: str, payload: str) -> EmailMessage:
    """A UTF-8 text part whose `payload` is already in its transfer `encoding` (what
    `set_content` makes, without parsing its own Content-Type again for the charset)."""
    found = EmailMessage(policy=MAIL_POLICY)
    found["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    found["Content-Transfer-Encoding"] = encoding
    found.set_payload(payload)
    return found


def _quoted_printable(text: str) -> str:
    """`text` in UTF-8, quoted-printable (C's encoder: the stdlib's own is Python, a character
    at a time)."""
    data = b"\n".join(text.encode().splitlines()) + b"\n"
    return binascii.b2a_qp(data, istext=True).decode("ascii")


def _base64(text: str) -> str:
    """`text` in UTF-8 with CRLF line ends (text's canonical form), base64 in 76-column lines."""
    return base64.encodebytes(b"\r\n".join(text.encode().splitlines()) + b"\r\n").decode("ascii")


class _Generator(BytesGenerator):
    """The stdlib's BytesGenerator, writing a part's lines in one go rather than one write
    per line (the same bytes: each line end, CRLF, CR or LF, made the policy's)."""

    def _write_lines(self, lines: str) -> None:
        if "\r" in lines:
            lines = lines.replace("\r\n", "\n").replace("\r", "\n")
        self.write(lines.replace("\n", self._NL))  # type: ignore[attr-defined]


def flatten(message: EmailMessage, utf8: bool = False) -> bytes:
    """`message` as it goes to an SMTP server, written by `MAIL_POLICY` (CRLF line ends);
    `utf8`: its headers in UTF-8, for a server that takes addresses in Unicode (SMTPUTF8)."""
    policy = MAIL_POLICY.clone(utf8=True) if utf8 else MAIL_POLICY
    with io.BytesIO() as out:
        _Generator(out, policy=policy).flatten(message, linesep="\r\n")
        return out.getvalue()


def _recipient(address: str, name: str | None) -> str:
    """The `To` of one plain address (never a list, whatever the name says: it is quoted), as
    text, so that a plain one is not parsed (`MailPolicy`; nor is the address, plain too)."""
    if not is_email(address):
        raise MailError("To", f"{address!r} is not one email address")
    local, _, domain = address.rpartition("@")
    return str(Address(one_line(name or ""), local, domain))


def one_line(text: str) -> str:
    """Header-safe: no line breaks or control characters, spaces collapsed."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def part(message: EmailMessage, kind: str) -> str | None:
    """The text of the `kind` ("plain" or "html") part."""
    found = message.get_body(preferencelist=(kind,))
    if found is None or found.get_content_subtype() != kind:
        return None
    content = found.get_content()  # type: ignore[attr-defined]
    return content if isinstance(content, str) else None


# --- a digest's mail -------------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    """Absolute links for the mail (`base` is PLANNER_BASE_URL)."""

    base: str
    unsubscribe: str

    def event(self, event_id: int) -> str:
        return f"{self.base}/events/{event_id}"

    def person(self, contact_id: int) -> str:
        return f"{self.base}/people/#contact-{contact_id}"

    @property
    def manage(self) -> str:
        return f"{self.base}/digest"

    @property
    def home(self) -> str:
        return f"{self.base}/"

    @property
    def follow_ups(self) -> str:
        return f"{self.base}/follow-ups"


@pass_environment
def wordwrap(
    environment: Environment,
    s: str,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    """Jinja's `wordwrap`, at once for a line that needs no wrapping (most lines of a digest),
    and made here for one of single-spaced words without a hyphen, none longer than `width`
    (most others): textwrap's lines are then the greedy ones, made in a fifth of its time."""
    if not isinstance(s, str) or not s.isprintable() or s != s.strip():
        return do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)
    if len(s) <= width:
        return s
    words = s.split(" ")
    if "-" in s or "" in words or max(map(len, words)) > width:
        return do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)
    lines, line = [], words[0]
    for word in words[1:]:
        if len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return (environment.newline_sequence if wrapstring is None else wrapstring).join(lines)


def render(digest: Digest, env: Environment, links: Links) -> tuple[str, str]:
    """The text part and the HTML part (templates/mail/digest.txt and .html)."""
    values: dict[str, Any] = {"digest": digest, "links": links}
    text = env.get_template("mail/digest.txt").render(values)
    html = env.get_template("mail/digest.html").render(values)
    return text, html


def digest_message(
    user: User, digest: Digest, now: datetime, message_id: str | None = None
) -> EmailMessage:
    """The mail of `digest` for `user`, links signed for them (their mail key made if none)."""
    config = current_app.config
    if not user.mail_key:
        user.mail_key = new_mail_key()
    base = config["BASE_URL"].rstrip("/")
    token = unsubscribe_token(config["SECRET_KEY"], user.id, user.mail_key)
    links = Links(base, f"{base}/unsubscribe/{token}")
    text, html = render(digest, current_app.jinja_env, links)
    return build_message(
        sender=config["MAIL_FROM"],
        recipient=user.email,
        recipient_name=user.name,
        subject=digest.subject,
        text=text,
        html=html,
        base_url=base,
        unsubscribe_url=links.unsubscribe,
        now=now,
        message_id=message_id,
    )
