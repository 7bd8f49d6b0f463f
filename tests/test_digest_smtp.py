"""The digest through a real SMTP server (aiosmtpd on a free local port): what the server
received (headers, both parts, links that resolve on the app, one-click unsubscribe), STARTTLS
with a login, and failures recorded with the server's words.

`Sink` and `plan_for` are shared by the other digest tests."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select

from planner import db
from planner.demo import DEMO_GOALS, build_feeds, demo_contacts, demo_ties
from planner.digest import week_of
from planner.mail import MailError, MailUncertain
from planner.models import Contact, DigestSend, Goal, User
from planner.schedule import due_digests
from planner.sending import send_digest
from tests.conftest import close, make_app, need

BASE = "https://planner.example.org"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes = b""  # the bytes as they came over the wire


def raw_header(raw: bytes, name: str) -> bytes:
    """A header's line as sent, with its folded continuation lines (nothing decoded)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    found = re.search(rb"^" + name.encode() + rb":[^\r]*(?:\r\n[ \t][^\r]*)*", head, re.M | re.I)
    assert found, f"no {name} header"
    return found.group(0)


@dataclass
class Sink:
    """A real SMTP server on 127.0.0.1 that keeps what it accepts. `hold` keeps the answer to
    DATA back (a server that never answers); `refuse` answers DATA with that reply;
    `pipelining` offers PIPELINING (aiosmtpd reads commands sent together, but does not say
    so); `utf8` takes addresses in UTF-8; `on_data` runs when a message has come."""

    tls: ssl.SSLContext | None = None
    implicit: bool = False  # TLS from the first byte (smtps://) instead of STARTTLS
    login: tuple[str, str] | None = None
    hold: bool = False
    refuse: str | None = None
    idle: float = 300.0  # seconds before the server drops an idle connection
    pipelining: bool = False
    utf8: bool = False
    on_data: Callable[[], None] | None = None
    received: list[Received] = field(default_factory=list)
    hellos: int = 0  # EHLOs seen: one per connection
    data_started: threading.Event = field(default_factory=threading.Event)
    host: str = "127.0.0.1"
    port: int = 0

    def url(self, query: str = "") -> str:
        auth = f"{self.login[0]}:{self.login[1]}@" if self.login else ""
        return f"smtp://{auth}{self.host}:{self.port}" + (f"?{query}" if query else "")

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.hellos += 1
        session.host_name = hostname  # what the server does itself without this hook
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.data_started.set()
        if self.on_data is not None:
            self.on_data()
        if self.hold:
            await asyncio.sleep(3600)
        if self.refuse:
            return self.refuse
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        raw = bytes(envelope.original_content)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw))
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any):  # type: ignore[no-untyped-def]
        ok = self.login is not None and (data.login, data.password) == tuple(
            part.encode() for part in self.login
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> Controller:
        self.port = free_port(self.host)
        options: dict[str, Any] = {"timeout": self.idle, "enable_SMTPUTF8": self.utf8}
        if self.tls is not None and self.implicit:
            options.update(ssl_context=self.tls)
        elif self.tls is not None:
            options.update(tls_context=self.tls, require_starttls=True)
        if self.login is not None:
            options.update(authenticator=self.authenticate, auth_require_tls=True)
        controller = Controller(self, hostname=self.host, port=self.port, **options)
        controller.start()
        return controller


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@pytest.fixture(name="sink")
def sink_fixture() -> Iterator[Sink]:
    """A started `Sink`, stopped after the test."""
    server = Sink()
    controller = server.start()
    yield server
    controller.stop()


def plan_for(email: str, now: datetime) -> User:
    """Give `email` (made if needed) what the demo gives the local owner: the demo feeds as
    sources, a Berlin home, the demo goals and contacts, the evidence worked out."""
    from planner.contacts import parse_contacts
    from planner.geocode import geocode_contacts, geocode_user
    from planner.jobs import refresh_source, wait_background
    from planner.people import import_contacts
    from planner.recommend import update_evidence
    from planner.sources import add_file_source, owner

    session = db.session()
    user = owner(session, email)
    user.home_location = "Berlin, Germany"
    for text, priority in DEMO_GOALS:
        session.add(Goal(owner_id=user.id, text=text, priority=priority, created_at=now))
    found, warnings = parse_contacts(demo_contacts(), "vcard")
    import_contacts(session, user, found, now, warnings)
    for contact in session.scalars(select(Contact).where(Contact.owner_id == user.id)):
        contact.tie = demo_ties().get(contact.name, contact.tie)
    session.commit()
    from flask import current_app

    folder = Path(current_app.instance_path) / f"feeds-{user.id}"
    folder.mkdir(parents=True, exist_ok=True)
    for feed in build_feeds(now):
        path = folder / f"{feed.slug}.ics"
        path.write_bytes(feed.content)
        source = add_file_source(session, user, path, "ical", feed.name, now=now)
        session.commit()
        refresh_source(source.id, now.isoformat(), force=True)
    geocode_user(user.id, now.isoformat())
    geocode_contacts(user.id, now.isoformat())
    wait_background()
    update_evidence(user.id, now.isoformat())
    session.expire_all()
    return user


@pytest.fixture
def mail_app(tmp_path: Path, sink: Sink) -> Iterator[Flask]:
    """Single-user mode whose owner is ann@example.org, mail over SMTP to `sink`."""
    app = make_app(
        f"sqlite:///{tmp_path / 'planner.sqlite3'}",
        tmp_path,
        OWNER_EMAIL="ann@example.org",
        SMTP_URL=sink.url(),
        BASE_URL=BASE,
        MAIL_FROM="planner <digest@planner.example.org>",
    )
    with app.app_context():
        yield app
        close(app)


def due_now(user: User, now: datetime) -> None:
    """Make `user`'s digest due at `now`: its slot this hour on their clock, the account older."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(user.timezone))
    user.digest_weekday, user.digest_hour = local.weekday(), local.hour
    user.created_at = now - timedelta(days=30)
    db.session().commit()


def links(message: EmailMessage) -> tuple[list[str], list[str]]:
    """Every link of the text part and of the HTML part."""
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    in_text = re.findall(r"https?://\S+", text)
    in_html = [str(a["href"]) for a in BeautifulSoup(html, "lxml").find_all("a")]
    return in_text, in_html


# --- what the server received ------------------------------------------------------------------


def test_the_server_receives_one_well_formed_digest(mail_app: Flask, sink: Sink) -> None:
    now = datetime.now(UTC)
    ann = plan_for("ann@example.org", now)
    result = send_digest(ann.id, week_of(now, ann.timezone), now.isoformat(), asked=True)
    assert result["status"] == "sent"
    assert len(sink.received) == 1
    got = sink.received[0]
    assert got.recipients == ["ann@example.org"] and got.sender == "digest@planner.example.org"
    message = got.message
    assert message["From"] == "planner <digest@planner.example.org>"
    assert message["To"].addresses[0].addr_spec == "ann@example.org"
    assert message["Message-ID"] == result["message_id"]
    assert message["Message-ID"].endswith("@planner.example.org>")
    assert message["List-Id"] == "planner digest <digest.planner.example.org>"
    assert re.fullmatch(rf"<{BASE}/unsubscribe/[\w.-]+>", message["List-Unsubscribe"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # as a mail provider reads them: one line each, the URL as it is (no encoded-word)
    assert re.fullmatch(
        rb"List-Unsubscribe: <" + re.escape(BASE.encode()) + rb"/unsubscribe/[\w.-]+>",
        raw_header(got.raw, "List-Unsubscribe"),
    )
    assert raw_header(got.raw, "List-Unsubscribe-Post") == (
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    )
    assert message["Date"] and message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert (
        message["Subject"].startswith("Next two weeks: ") and " near Berlin" in message["Subject"]
    )
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    for part in (text, html):
        assert "PyBerlin Talks: Typed Python in Production" in part  # near, in two weeks
        assert "Hanna Vogel" in part and "speaking" in part  # whom to meet, with evidence
        assert "Zalando" in part
        assert "Unsubscribe" in part and "Manage preferences" in part
    assert text.index("NEAR BERLIN") < text.index("PyBerlin Talks: Typed Python")
    row = db.session().scalars(select(DigestSend)).one()
    assert (row.status, row.recipient, row.message_id) == ("sent", ann.email, result["message_id"])


def test_every_link_is_absolute_and_opens_on_the_app(mail_app: Flask, sink: Sink) -> None:
    now = datetime.now(UTC)
    ann = plan_for("ann@example.org", now)
    send_digest(ann.id, week_of(now, ann.timezone), now.isoformat(), asked=True)
    in_text, in_html = links(sink.received[0].message)
    assert in_text and set(in_text) == set(in_html)  # both parts link the same pages
    client = mail_app.test_client()
    for link in in_html:
        assert link.startswith(BASE + "/"), link
        answer = client.get(link.removeprefix(BASE).split("#")[0])
        assert answer.status_code == 200, link


def test_one_click_unsubscribe_needs_no_session_and_no_csrf_token(
    mail_app: Flask, sink: Sink
) -> None:
    now = datetime.now(UTC)
    ann = plan_for("ann@example.org", now)
    due_now(ann, now)
    send_digest(ann.id, week_of(now, ann.timezone), now.isoformat())
    target = sink.received[0].message["List-Unsubscribe"].strip("<>").removeprefix(BASE)
    client = mail_app.test_client()
    page = client.get(target)
    assert page.status_code == 200 and "Unsubscribe from the weekly digest?" in page.text
    assert ann.digest_enabled  # a GET (a link preview, a scanner) changes nothing
    answer = client.post(
        target,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200 and "Unsubscribed" in answer.text
    session = db.session()
    session.expire_all()
    assert not session.get(User, ann.id).digest_enabled  # type: ignore[union-attr]
    session.execute(DigestSend.__table__.delete())  # even with this week not sent yet...
    session.commit()
    assert list(due_digests(now)) == []  # ...no digest is due any more


@pytest.mark.parametrize("pipelining", [False, True])
def test_a_round_of_digests_shares_one_connection_and_replaces_a_dropped_one(
    pipelining: bool,
) -> None:
    from planner.mail import build_message
    from planner.smtp import Relay, one_connection

    server = Sink(idle=0.5, pipelining=pipelining)  # it drops a connection idle for 0.5 s
    controller = server.start()
    relay = Relay.from_url(server.url())

    def message(number: int) -> EmailMessage:
        return build_message(
            sender="p@example.org", recipient=f"u{number}@example.org", recipient_name=None,
            subject=f"{number}", text="t", html="<p>h</p>", base_url=BASE,
            unsubscribe_url=BASE + "/u", now=datetime.now(UTC),
        )  # fmt: skip

    try:
        with one_connection():
            relay.send(message(1), "", "u1@example.org")
            relay.send(message(2), "", "u2@example.org")
            assert server.hellos == 1  # the second went over the first's connection
            time.sleep(1.0)  # the server hangs up meanwhile
            # nothing was sent on the dropped one: a new one carries it
            relay.send(message(3), "", "u3@example.org")
        relay.send(message(4), "", "u4@example.org")  # outside a round: its own, closed after
    finally:
        controller.stop()
    assert [r.recipients for r in server.received] == [[f"u{n}@example.org"] for n in (1, 2, 3, 4)]
    assert server.hellos == 3


# --- STARTTLS, login, failures --------------------------------------------------------------


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A self-signed certificate for localhost that this process trusts (SSL_CERT_FILE)."""
    if shutil.which("openssl") is None:
        need("openssl", "the openssl command makes the test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_over_tls(tmp_path: Path, certificate: ssl.SSLContext, scheme: str) -> None:
    """STARTTLS (required) then login; or TLS from the first byte (smtps)."""
    if scheme == "smtp":
        server = Sink(tls=certificate, login=("planner", "s3cret word"))
        where = "planner:s3cret%20word@localhost:{port}?starttls=require"
    else:
        server = Sink(tls=certificate, implicit=True)
        where = "localhost:{port}"
    controller = server.start()
    url = f"{scheme}://{where.format(port=server.port)}"
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, SMTP_URL=url, BASE_URL=BASE)
    try:
        with app.app_context():
            now = datetime.now(UTC)
            ann = plan_for("ann@example.org", now)
            assert send_digest(ann.id, week_of(now, ann.timezone), asked=True)["status"] == "sent"
            assert len(server.received) == 1
            close(app)
    finally:
        controller.stop()


@pytest.mark.parametrize("pipelining", [False, True])
def test_no_answer_after_the_message_leaves_it_to_a_person(
    tmp_path: Path, pipelining: bool
) -> None:
    """The server took the message and never answered: it may have been accepted, so the week
    is not "failed" (that would invite sending it again) but interrupted, at once."""
    from planner.sending import state_of

    server = Sink(hold=True, pipelining=pipelining)
    controller = server.start()
    url = server.url("timeout=1")
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, SMTP_URL=url, BASE_URL=BASE)
    try:
        with app.app_context():
            now = datetime.now(UTC)
            ann = plan_for("ann@example.org", now)
            due_now(ann, now)
            with pytest.raises(MailUncertain, match="may or may not have arrived"):
                send_digest(ann.id, week_of(now, ann.timezone), now.isoformat())
            row = db.session().scalars(select(DigestSend)).one()
            db.session().refresh(row)
            assert row.status == "sending" and "no answer within 1 s" in (row.error or "")
            assert state_of(row, now) == "interrupted"
            assert list(due_digests(now)) == []
            close(app)
    finally:
        controller.stop()


def test_a_wrong_password_is_recorded_as_failed_with_the_servers_words(
    tmp_path: Path, certificate: ssl.SSLContext
) -> None:
    server = Sink(tls=certificate, login=("planner", "right"))
    controller = server.start()
    url = f"smtp://planner:wrong@localhost:{server.port}"
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, SMTP_URL=url, BASE_URL=BASE)
    try:
        with app.app_context():
            now = datetime.now(UTC)
            ann = plan_for("ann@example.org", now)
            with pytest.raises(MailError, match="login refused"):
                send_digest(ann.id, week_of(now, ann.timezone), now.isoformat(), asked=True)
            row = db.session().scalars(select(DigestSend)).one()
            assert row.status == "failed" and row.error
            assert f"localhost:{server.port}" in row.error and "535" in row.error
            assert server.received == []
            close(app)
    finally:
        controller.stop()


@pytest.mark.parametrize(
    ("refuse", "words"),
    [("554 5.7.1 Message rejected as spam", "554"), (None, "connection refused")],
)
def test_a_refusing_or_absent_server_leaves_a_failed_row(
    tmp_path: Path, refuse: str | None, words: str
) -> None:
    server = Sink(refuse=refuse)
    controller = server.start()
    if refuse is None:
        controller.stop()  # nobody listens on that port any more
    app = make_app(
        f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, SMTP_URL=server.url(), BASE_URL=BASE
    )
    try:
        with app.app_context():
            now = datetime.now(UTC)
            ann = plan_for("ann@example.org", now)
            week = week_of(now, ann.timezone)
            with pytest.raises(MailError):
                send_digest(ann.id, week, now.isoformat(), asked=True)
            row = db.session().scalars(select(DigestSend)).one()
            assert row.status == "failed" and words in (row.error or "")
            assert f"127.0.0.1:{server.port}" in (row.error or "")
            assert send_digest(ann.id, week, now.isoformat(), asked=True)["status"] == "already"
            close(app)
    finally:
        if refuse is not None:
            controller.stop()


def own_address() -> str:
    """This machine's address on its network (a UDP "connect" sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def test_no_password_goes_out_unencrypted_to_a_remote_server(tmp_path: Path) -> None:
    address = own_address()
    if address.startswith("127."):
        need("a network address", "this machine has only loopback")
    server = Sink(host=address, login=("planner", "s3cret"))  # no STARTTLS offered
    controller = server.start()
    app = make_app(
        f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, SMTP_URL=server.url(), BASE_URL=BASE
    )
    try:
        with app.app_context():
            now = datetime.now(UTC)
            ann = plan_for("ann@example.org", now)
            with pytest.raises(MailError, match="refusing to send the password unencrypted"):
                send_digest(ann.id, week_of(now, ann.timezone), now.isoformat(), asked=True)
            assert server.received == [] and not server.data_started.is_set()
            close(app)
    finally:
        controller.stop()


def test_smtp_urls() -> None:
    from planner.smtp import Relay

    relay = Relay.from_url("smtps://us%40er:p%3Aw@mail.example.org?timeout=7")
    assert (relay.host, relay.port, relay.implicit_tls) == ("mail.example.org", 465, True)
    assert (relay.user, relay.password, relay.timeout) == ("us@er", "p:w", 7.0)
    assert Relay.from_url("smtp://mail.example.org").port == 25
    for bad in ("http://mail.example.org", "smtp://mail.example.org?starttls=maybe", "smtp://"):
        with pytest.raises(MailError, match="PLANNER_SMTP_URL"):
            Relay.from_url(bad)


# --- the recipient and the headers as sent ------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Zoë <victim@victim.example>, Mallory", 'Mallory "Bob" <victim@victim.example>, x']
)
def test_mail_goes_to_the_account_address_alone_whatever_its_name_says(
    mail_app: Flask, sink: Sink, name: str
) -> None:
    now = datetime.now(UTC)
    ann = plan_for("ann@example.org", now)
    ann.name = name
    db.session().commit()
    assert send_digest(ann.id, week_of(now, ann.timezone), asked=True)["status"] == "sent"
    [got] = sink.received
    assert got.recipients == ["ann@example.org"]  # the envelope: the account's address only
    to = message_from_bytes(got.raw, policy=policy.default)["To"]
    assert [a.addr_spec for a in to.addresses] == ["ann@example.org"]
    assert to.addresses[0].display_name == name


def test_an_address_list_stored_before_validation_gets_no_mail(mail_app: Flask, sink: Sink) -> None:
    now = datetime.now(UTC)
    ann = plan_for("ann@example.org", now)
    ann.email = "mallory@evil.example,victim@victim.example"
    db.session().commit()
    said = send_digest(ann.id, week_of(now, ann.timezone), now.isoformat(), asked=True)
    assert said["status"] == "unreachable"
    assert sink.received == [] and db.session().scalars(select(DigestSend)).first() is None


def test_long_headers_fold_as_mail_programs_read_them() -> None:
    from planner.mail import build_message

    url = f"{BASE}/unsubscribe/{'a1' * 90}"
    subject = "Next two weeks: 3 meetups near Köln — meet Zoë Müller at PyData Köln: Große Runde"
    message = build_message(
        sender="planner <digest@planner.example.org>", recipient="ann@example.org",
        recipient_name="Zoë Müller", subject=subject, text="t", html="<p>h</p>", base_url=BASE,
        unsubscribe_url=url, now=datetime.now(UTC),
    )  # fmt: skip
    assert message["To"].addresses[0].display_name == "Zoë Müller"  # read back, parsed
    assert message["List-Unsubscribe"] == f"<{url}>" and message["Date"].datetime is not None
    raw = message.as_bytes()
    assert raw_header(raw, "List-Unsubscribe") == f"List-Unsubscribe: <{url}>".encode()
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert all(len(line) <= 78 for line in head if not line.startswith(b"List-Unsubscribe:"))
    words = re.findall(rb"=\?utf-8\?[bq]\?[^?]*\?=", raw, re.I)
    assert words and all(len(word) <= 75 for word in words)  # RFC 2047's limit
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject


def test_the_envelope_recipient_is_the_one_given_never_the_headers() -> None:
    from planner.mail import build_message
    from planner.smtp import Relay

    server = Sink()
    controller = server.start()
    message = build_message(
        sender="p@example.org", recipient="ann@example.org", recipient_name=None, subject="s",
        text="t", html="<p>h</p>", base_url=BASE, unsubscribe_url=None, now=datetime.now(UTC),
    )  # fmt: skip
    message["Cc"] = "victim@victim.example"
    message["Bcc"] = "hidden@victim.example"
    try:
        Relay.from_url(server.url()).send(message, "", "ann@example.org")
    finally:
        controller.stop()
    assert [r.recipients for r in server.received] == [["ann@example.org"]]
    assert "Bcc" not in server.received[0].message  # never shown, as smtplib's send_message
    assert "Bcc" in message  # taken out of what was sent, not out of the message
    assert "List-Unsubscribe" not in server.received[0].message  # a one-off mail: no list
