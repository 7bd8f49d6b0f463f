"""Mail over SMTP: a server named by `PLANNER_SMTP_URL` (STARTTLS whenever offered, a login
only over an encrypted connection or on this machine), its refusals said in words a person
reads, a round of messages over one connection, and MAIL, RCPT and DATA sent together where
the server offers PIPELINING.

    Relay.from_url(url, helo).send(message, label, to)   # raises MailError, MailUncertain
    with one_connection(): ...                  # this thread's messages share a connection
"""

from __future__ import annotations

import copy
import ipaddress
import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from planner.mail import MailError, MailUncertain, flatten

TIMEOUT = 30.0  # seconds for each step of an SMTP conversation
REUSE_SECONDS = 20.0  # an open connection idle longer is closed, not used again
PORTS = {"smtp": 25, "smtps": 465}


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

    def send(self, message: EmailMessage, label: str, to: str) -> None:
        """Hand `message` over for `to` alone (the envelope's one recipient, whatever its
        headers say; `label` names a message in the outbox only); MailError (with the server's
        words) unless it was accepted, MailUncertain when the answer to the message itself
        never came.
        Inside `one_connection()` the connection stays open for this thread's next message to
        the same server (one that closed meanwhile is replaced, nothing having been sent on
        it); else it is closed."""
        kept = _reused(self)
        if kept is not None and self._hand_over(kept, message, to, stale_ok=True):
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
            if isinstance(exc, Exception):  # nothing of the message went out
                raise MailError(self.where, _words(exc, self.timeout)) from exc
            raise
        self._hand_over(connection, message, to)

    def _hand_over(
        self, connection: _SMTP | _SMTPS, message: EmailMessage, to: str, stale_ok: bool = False
    ) -> bool:
        """Send on `connection`; False (with `stale_ok`) when it turns out closed before the
        message went out, so that a new one may carry it."""
        connection.in_data = False
        try:
            _transfer(connection, message, to)
        except BaseException as exc:
            _close(connection)
            if not isinstance(exc, Exception):
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
    """An SMTP connection that notes when the message itself began to go out: an answer lost
    after that leaves its fate unknown (before, the server cannot have it)."""

    in_data = False


class _SMTP(_Watched, smtplib.SMTP):
    pass


class _SMTPS(_Watched, smtplib.SMTP_SSL):
    pass


def _transfer(connection: _SMTP | _SMTPS, message: EmailMessage, to: str) -> None:
    """MAIL, RCPT, DATA, then the message, as smtplib's `send_message` sends it (the same
    exceptions), flattened once (`planner.mail.flatten`), and the three commands in one write
    when the server offers PIPELINING (RFC 2920): two waits for its answers instead of four."""
    sender, data, options = _envelope(connection, message, to)
    commands = (f"MAIL FROM:<{sender}>{options}", f"RCPT TO:<{to}>", "DATA")
    together = connection.has_extn("pipelining")
    if together:
        connection.send("".join(command + "\r\n" for command in commands))
    for step, command in enumerate(commands):
        if not together:
            connection.putcmd(command)
        code, reply = connection.getreply()
        if step == 0 and code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        if step == 1 and code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({to: (code, reply)})
        if step == 2 and code != 354:
            raise smtplib.SMTPDataError(code, reply)
    connection.in_data = True
    connection.send(_stuffed(data) + b".\r\n")
    code, reply = connection.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def _envelope(connection: _SMTP | _SMTPS, message: EmailMessage, to: str) -> tuple[str, bytes, str]:
    """The sender (the Sender, else the From), the message as sent (without Bcc) and the MAIL
    options: its size, and SMTPUTF8 for an address in UTF-8 (RFC 6531) where the server takes
    one. No line break may reach a command (as smtplib's `putcmd` says)."""
    if "\r" in to or "\n" in to:
        raise ValueError(f"a line break in the recipient {to!r}")
    if "Bcc" in message or "Resent-Bcc" in message:  # for the envelope only, never shown
        message = copy.copy(message)
        del message["Bcc"], message["Resent-Bcc"]
    header = message["Sender"] or message["From"]
    addresses = header.addresses if header is not None else ()
    if not addresses:
        raise ValueError("the message names no sender address (From or Sender)")
    sender = addresses[0].addr_spec
    unicode = not (sender + to).isascii()
    data = flatten(message, utf8=unicode)
    connection.ehlo_or_helo_if_needed()
    options = f" SIZE={len(data)}" if connection.has_extn("size") else ""
    if unicode:
        if not connection.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError("the server takes no addresses in UTF-8")
        connection.command_encoding = "utf-8"
        options += " SMTPUTF8 BODY=8BITMIME"
    return sender, data, options


def _stuffed(data: bytes) -> bytes:
    """The message as DATA carries it: a line that begins with "." gets another in front
    (RFC 5321, 4.5.2; looked for first, as few messages have one), CRLF at the end."""
    if data.startswith(b".") or b"\n." in data:
        data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


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
