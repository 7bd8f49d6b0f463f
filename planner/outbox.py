"""Where mail goes: the SMTP server of `PLANNER_SMTP_URL` (`planner.smtp`) or, without one,
the outbox: an .eml file per message in `<instance>/mail/` that the web app lists and shows.

    transport_for(config, instance_path).send(message, "2026-W48-7", to)   # raises MailError
    Outbox(folder).kept(user_id) / .read(name, user_id)                    # the user's digests
    deliverable(email, relay, confirmed)                                    # can mail reach them

The recipient is always given apart from the message (`to`, one address as accounts store
them): never read from the `To` header.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from planner.accounts import is_email
from planner.mail import MailError
from planner.smtp import Relay

OUTBOX_NAME = re.compile(r"^(\d{4}-W\d{2})-(\d+)-([0-9a-f]{12})\.eml$")  # a digest
# an address confirmation: kept for the machine's operator, never listed or shown on the web
# (following its link from there would prove nothing about the address)
CONFIRM_NAME = re.compile(r"^confirm-(\d+)-([0-9a-f]{12})\.eml$")


def transport_for(config: Mapping[str, Any], instance_path: str) -> Relay | Outbox:
    """The SMTP server of `PLANNER_SMTP_URL`, else the instance's outbox folder."""
    url = config.get("SMTP_URL")
    if url:
        return _relay(url, urlsplit(config.get("BASE_URL") or "").hostname)
    return Outbox(Path(instance_path) / "mail")


@functools.lru_cache(maxsize=8)
def _relay(url: str, helo: str | None) -> Relay:
    """The server of `url`, read once rather than for each message of a round."""
    return Relay.from_url(url, helo=helo)


def deliverable(email: str, relay: bool, confirmed: bool = True) -> bool:
    """Whether mail to `email` can go out: one plain address, `confirmed` by its owner where
    that is asked for (multi-user mode), and over SMTP not to a local or reserved-invalid
    domain (the local owner's owner@localhost gets .eml files in the outbox instead)."""
    if not confirmed or not is_email(email):
        return False
    domain = email.rpartition("@")[2]
    return not relay or not (domain == "localhost" or domain.endswith((".localhost", ".invalid")))


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

    def send(self, message: EmailMessage, label: str, to: str) -> None:
        """Write `message` (for `to`, who is in its `To` header) as `<label>-<hash>.eml`."""
        digest = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:12]
        name = f"{label}-{digest}.eml"
        if not (OUTBOX_NAME.match(name) or CONFIRM_NAME.match(name)):
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
