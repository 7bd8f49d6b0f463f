"""Outgoing mail, composed: the message (text + HTML, list headers, one-click unsubscribe), a
digest's mail for its user, the signed unsubscribe token, and the errors of handing mail over.

    message = digest_message(user, digest, now, message_id)   # the digest's mail, links signed
    text, html = render(digest, env, links)                    # templates/mail/digest.*
    message = build_message(sender=..., recipient=..., subject=..., text=..., html=..., ...)
    unsubscribe_token(secret, user_id, key) / unsubscribe_claim(secret, token)

Where a message goes is `planner.outbox.transport_for` (an SMTP server, `planner.smtp`, or the
instance's outbox folder). A MailError means the message was not accepted; MailUncertain (a
MailError) that the server had it when its answer was lost, so that it may or may not arrive.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, pass_environment
from jinja2.filters import do_wordwrap

from planner.accounts import is_email
from planner.digest import Digest
from planner.models import User

UNSUBSCRIBE_SALT = "unsubscribe"
VERBATIM = frozenset({"list-unsubscribe", "list-unsubscribe-post"})  # never folded or encoded


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


def unsubscribe_token(secret: str, user_id: int, key: str) -> str:
    """A token naming the user and their current mail key: a new key revokes it."""
    return URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT).dumps({"u": user_id, "k": key})


def unsubscribe_claim(secret: str, token: str) -> tuple[int, str] | None:
    """(user id, mail key) of a token this secret signed, else None."""
    try:
        data = URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT).loads(token)
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
    not change it (and takes a third of the time of sending a digest)."""

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
    lookup), and the header values every message shares (From, List-Id, the parts'
    Content-Type...) parsed once: a header object never changes once made."""

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
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="base64")
    return message


def _recipient(address: str, name: str | None) -> Address:
    """The `To` of one plain address (never a list, whatever the name says)."""
    if not is_email(address):
        raise MailError("To", f"{address!r} is not one email address")
    return Address(display_name=one_line(name or ""), addr_spec=address)


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
    """Jinja's `wordwrap`, at once for a line that needs no wrapping (most lines of a digest)."""
    if isinstance(s, str) and len(s) <= width and s.isprintable() and s == s.strip():
        return s
    return do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)


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
