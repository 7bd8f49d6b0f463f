"""Outgoing mail: the message (text + HTML, list headers, one-click unsubscribe), the signed
unsubscribe token, and where it goes: an SMTP server (`PLANNER_SMTP_URL`) or, without one, an
.eml file per message in `<instance>/mail/` that the web app lists.

    message = build_message(sender=..., recipient=..., subject=..., text=..., html=..., ...)
    transport_for(config, instance_path).send(message, "2026-W48-7")   # raises MailError
    with one_connection(): ...         # a round of messages over one SMTP connection
    unsubscribe_token(secret, user_id, key) / unsubscribe_claim(secret, token)

A MailError means the message was not accepted; MailUncertain (a MailError) that the server
had it when its answer was lost, so that it may or may not arrive.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import secrets
import smtplib
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import format_datetime, formataddr, make_msgid, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from itsdangerous import BadSignature, URLSafeSerializer

UNSUBSCRIBE_SALT = "unsubscribe"
TIMEOUT = 30.0  # seconds for each step of an SMTP conversation
REUSE_SECONDS = 20.0  # an open connection idle longer is closed, not used again
PORTS = {"smtp": 25, "smtps": 465}
OUTBOX_NAME = re.compile(r"^(\d{4}-W\d{2})-(\d+)-([0-9a-f]{12})\.eml$")


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
    unsubscribe_url: str,
    now: datetime,
    message_id: str | None = None,
) -> EmailMessage:
    """multipart/alternative (text, then HTML) with the list headers mail providers read."""
    host = urlsplit(base_url).hostname or "localhost"
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = formataddr((one_line(recipient_name or ""), recipient))
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or new_message_id(base_url)
    message["List-Id"] = f"planner digest <digest.{host}>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="base64")
    return message


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


# --- where it goes ----------------------------------------------------------------------------


def transport_for(config: Mapping[str, Any], instance_path: str) -> Relay | Outbox:
    """The SMTP server of `PLANNER_SMTP_URL`, else the instance's outbox folder."""
    url = config.get("SMTP_URL")
    if url:
        return Relay.from_url(url, helo=urlsplit(config.get("BASE_URL") or "").hostname)
    return Outbox(Path(instance_path) / "mail")


@dataclass(frozen=True)
class Relay:
    """An SMTP server: `smtp://[user:password@]host[:port][?starttls=require|never]
    [&timeout=S]` (STARTTLS whenever offered) or `smtps://...` (TLS from the start)."""

    host: str
    port: int
    implicit_tls: bool = False
    starttls: str = "auto"  # auto | require | never
    user: str | None = None
    password: str | None = None
    timeout: float = TIMEOUT
    helo: str | None = None

    @classmethod
    def from_url(cls, url: str, helo: str | None = None) -> Relay:
        parts = urlsplit(url)
        if parts.scheme not in PORTS or not parts.hostname:
            raise MailError("PLANNER_SMTP_URL", "expected smtp://host:port or smtps://host:port")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        starttls = query.get("starttls", "auto")
        if starttls not in ("auto", "require", "never"):
            raise MailError("PLANNER_SMTP_URL", "starttls= takes require, never or auto")
        try:
            port, timeout = parts.port or PORTS[parts.scheme], float(query.get("timeout", TIMEOUT))
        except ValueError:
            raise MailError("PLANNER_SMTP_URL", "the port or timeout= is not a number") from None
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(
            parts.hostname,
            port,
            parts.scheme == "smtps",
            starttls,
            user,
            password,
            timeout,
            _helo_name(helo),
        )

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, message: EmailMessage, label: str = "") -> None:
        """Hand `message` over; MailError (with the server's words) unless it was accepted,
        MailUncertain when the answer to its DATA never came. Inside `one_connection()` the
        connection stays open for this thread's next message to the same server (one that
        closed meanwhile is replaced, nothing having been sent on it); else it is closed."""
        kept = _reused(self)
        if kept is not None and self._hand_over(kept, message, stale_ok=True):
            return
        connection = None
        try:
            connection = self._connect()
            secure = self._secure(connection)
            if self.user:
                self._login(connection, secure)
        except BaseException as exc:
            if connection is not None:
                _close(connection)
            if isinstance(exc, OSError | smtplib.SMTPException):
                raise MailError(self.where, _words(exc, self.timeout)) from exc
            raise
        self._hand_over(connection, message)

    def _hand_over(
        self, connection: _SMTP | _SMTPS, message: EmailMessage, stale_ok: bool = False
    ) -> bool:
        """Send on `connection`; False (with `stale_ok`) when it turns out closed before the
        message went out, so that a new one may carry it."""
        connection.in_data = False
        try:
            connection.send_message(message)
        except BaseException as exc:
            _close(connection)
            if not isinstance(exc, OSError | smtplib.SMTPException):
                raise
            closed = isinstance(exc, OSError | smtplib.SMTPServerDisconnected)
            if stale_ok and closed and not connection.in_data:
                return False
            words = _words(exc, self.timeout)
            if connection.in_data and not _refused(exc):
                words += " after the message was sent: it may or may not have arrived"
                raise MailUncertain(self.where, words) from exc
            raise MailError(self.where, words) from exc
        if getattr(_kept, "keep", False):
            _kept.open = (self, connection, time.monotonic())
        else:
            _close(connection)
        return True

    def _connect(self) -> _SMTP | _SMTPS:
        if self.implicit_tls:
            return _SMTPS(
                self.host,
                self.port,
                self.helo,
                timeout=self.timeout,
                context=ssl.create_default_context(),
            )
        return _SMTP(self.host, self.port, self.helo, timeout=self.timeout)

    def _secure(self, connection: smtplib.SMTP) -> bool:
        """STARTTLS when offered (or required); whether the conversation is now encrypted."""
        if self.implicit_tls:
            return True
        connection.ehlo()
        offered = connection.has_extn("starttls")
        if self.starttls == "require" and not offered:
            raise MailError(self.where, "the server does not offer STARTTLS (starttls=require)")
        if not offered or self.starttls == "never":
            return False
        connection.starttls(context=ssl.create_default_context())
        connection.ehlo()
        return True

    def _login(self, connection: smtplib.SMTP, secure: bool) -> None:
        if not secure and not _loopback(self.host):
            raise MailError(
                self.where,
                "refusing to send the password unencrypted: the server offers no STARTTLS "
                "(use smtps:// or a server with STARTTLS)",
            )
        connection.login(self.user or "", self.password or "")


class _Watched:
    """An SMTP connection that notes when the DATA phase began: an answer lost after that
    leaves the message's fate unknown."""

    in_data = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.in_data = True
        return super().data(msg)  # type: ignore[misc, no-any-return]


class _SMTP(_Watched, smtplib.SMTP):
    pass


class _SMTPS(_Watched, smtplib.SMTP_SSL):
    pass


def _refused(exc: BaseException) -> bool:
    """The server answered with a refusal (a clear "not accepted")."""
    return isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused)


def _helo_name(host: str | None) -> str | None:
    """What we call ourselves in EHLO: our public host name, an address as a literal."""
    if not host:
        return None
    try:
        return f"[{ipaddress.ip_address(host)}]"
    except ValueError:
        return host


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_kept = threading.local()  # .open: (relay, connection, when last used) of this thread


def _reused(relay: Relay) -> _SMTP | _SMTPS | None:
    """This thread's open connection to `relay`, if it was used recently."""
    kept = getattr(_kept, "open", None)
    _kept.open = None
    if kept is None:
        return None
    other, connection, used = kept
    if other != relay or time.monotonic() - used > REUSE_SECONDS:
        _close(connection)
        return None
    return connection  # type: ignore[no-any-return]


@contextmanager
def one_connection() -> Iterator[None]:
    """Within: this thread's messages to one server share a connection (a fan-out of many
    digests), closed at the end."""
    outer = getattr(_kept, "keep", False)
    _kept.keep = True
    try:
        yield
    finally:
        _kept.keep = outer
        kept = None if outer else getattr(_kept, "open", None)
        if kept is not None:
            _kept.open = None
            _close(kept[1])


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def _words(exc: BaseException, timeout: float) -> str:
    """What went wrong, for the person reading the digest history."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipient refused: " + "; ".join(
            f"{rcpt} ({code} {_text(reply)})" for rcpt, (code, reply) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login refused ({exc.smtp_code} {_text(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender {exc.sender} refused ({exc.smtp_code} {_text(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"refused ({exc.smtp_code} {_text(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc):
        return f"no answer within {timeout:g} s"  # smtplib's word for a read that timed out
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the mail server running?)"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, MailError):
        return exc.problem
    return str(exc) or type(exc).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


@dataclass(frozen=True)
class Kept:
    """One message in the outbox, as listed."""

    name: str
    week: str
    subject: str
    recipient: str
    date: datetime | None


@dataclass(frozen=True)
class Outbox:
    """Without SMTP: each message is a file `<week>-<user id>-<hash>.eml` in `folder`."""

    folder: Path

    def send(self, message: EmailMessage, label: str) -> None:
        digest = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:12]
        name = f"{label}-{digest}.eml"
        if not OUTBOX_NAME.match(name):
            raise MailError(str(self.folder), f"not an outbox label: {label!r}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(handle, "wb") as file:
                file.write(message.as_bytes())
            os.replace(temporary, self.folder / name)  # listed whole or not at all
        except OSError as exc:
            raise MailError(str(self.folder), exc.strerror or str(exc)) from exc

    def kept(self, user_id: int) -> list[Kept]:
        """The user's messages, newest week first."""
        found = []
        names = sorted(os.listdir(self.folder), reverse=True) if self.folder.is_dir() else []
        for name in names:
            match = OUTBOX_NAME.match(name)
            if match is None or int(match.group(2)) != user_id:
                continue
            with open(self.folder / name, "rb") as file:
                headers = BytesHeaderParser(policy=policy.default).parse(file)
            found.append(
                Kept(
                    name,
                    match.group(1),
                    str(headers["Subject"] or ""),
                    str(headers["To"] or ""),
                    _date(headers["Date"]),
                )
            )
        return found

    def read(self, name: str, user_id: int) -> EmailMessage | None:
        """The message `name`, when it is one of the user's (names are checked, not joined)."""
        match = OUTBOX_NAME.match(name)
        path = self.folder / name
        if match is None or int(match.group(2)) != user_id or not path.is_file():
            return None
        with open(path, "rb") as file:
            message = BytesParser(policy=policy.default).parse(file)
        return message if isinstance(message, EmailMessage) else None


def _date(value: Any) -> datetime | None:
    try:
        return parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError):
        return None
