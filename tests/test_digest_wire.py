"""The conversation with the SMTP server and the bytes it gets: MAIL, RCPT and DATA in one
write where PIPELINING is offered (a scripted server that answers nothing before all three
came), a connection lost before the message went out taken for a failure (not a doubt), lines
that begin with a dot, a part that quotes the boundary, addresses in UTF-8, and no line break
smuggled into a command."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import BinaryIO

import pytest

from planner.mail import BOUNDARY, MailError, MailUncertain, build_message
from planner.smtp import Relay
from tests.test_digest_smtp import BASE, Sink

Talk = Callable[[socket.socket, BinaryIO], None]


def message(sender: str = "p@example.org", text: str = "t", html: str = "<p>h</p>") -> EmailMessage:
    return build_message(
        sender=sender, recipient="ann@example.org", recipient_name=None, subject="s",
        text=text, html=html, base_url=BASE, unsubscribe_url=None, now=datetime.now(UTC),
    )  # fmt: skip


@contextmanager
def scripted(talk: Talk) -> Iterator[str]:
    """A server for one connection that greets, then follows `talk`; yields its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    failed: list[BaseException] = []

    def serve() -> None:
        connection, _ = listener.accept()
        with connection, connection.makefile("rb") as lines:
            connection.settimeout(5)
            connection.sendall(b"220 scripted\r\n")
            try:
                talk(connection, lines)
            except BaseException as exc:  # told to the test below
                failed.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"smtp://127.0.0.1:{listener.getsockname()[1]}?timeout=5"
    finally:
        thread.join(10)
        listener.close()
        if failed:  # the server's complaint, rather than what the client made of it
            raise failed[0]


def ehlo(connection: socket.socket, lines: BinaryIO, *extensions: bytes) -> None:
    assert lines.readline().lower().startswith(b"ehlo ")
    offered = [b"scripted", *extensions]
    replies = [b"250-" + word for word in offered[:-1]] + [b"250 " + offered[-1]]
    connection.sendall(b"".join(reply + b"\r\n" for reply in replies))


def test_the_commands_go_together_where_the_server_offers_pipelining() -> None:
    heard: list[bytes] = []

    def talk(connection: socket.socket, lines: BinaryIO) -> None:
        ehlo(connection, lines, b"PIPELINING", b"SIZE 1000000")
        heard.extend(lines.readline() for _ in range(3))  # before any answer: together
        connection.sendall(b"250 ok\r\n250 ok\r\n354 go on\r\n")
        heard.append(b"".join(iter(lines.readline, b".\r\n")))
        connection.sendall(b"250 queued\r\n")
        assert lines.readline().lower() == b"quit\r\n"
        connection.sendall(b"221 bye\r\n")

    with scripted(talk) as url:
        Relay.from_url(url).send(message(), "", "ann@example.org")
    mail, rcpt, data, sent = heard
    assert mail.startswith(b"MAIL FROM:<p@example.org> SIZE=") and mail.endswith(b"\r\n")
    assert (rcpt, data) == (b"RCPT TO:<ann@example.org>\r\n", b"DATA\r\n")
    assert b"\r\nSubject: s\r\n" in sent


def test_a_refused_recipient_sends_nothing_though_data_went_with_it() -> None:
    def talk(connection: socket.socket, lines: BinaryIO) -> None:
        ehlo(connection, lines, b"PIPELINING")
        for _ in range(3):
            lines.readline()
        connection.sendall(b"250 ok\r\n550 5.1.1 no such user\r\n554 5.5.1 no recipients\r\n")
        assert lines.readline().lower() == b"quit\r\n"  # not the message
        connection.sendall(b"221 bye\r\n")

    with scripted(talk) as url, pytest.raises(MailError, match="recipient refused.*550"):
        Relay.from_url(url).send(message(), "", "ann@example.org")


def test_a_connection_lost_before_the_message_went_out_is_a_failure_not_a_doubt() -> None:
    """The server hangs up on DATA before its "354": it never had the message, so the week
    failed (a person may send it again) rather than being left in doubt."""

    def talk(connection: socket.socket, lines: BinaryIO) -> None:
        ehlo(connection, lines)
        for answer in (b"250 ok", b"250 ok"):  # MAIL, RCPT
            lines.readline()
            connection.sendall(answer + b"\r\n")
        assert lines.readline() == b"DATA\r\n"  # then gone

    with scripted(talk) as url, pytest.raises(MailError) as caught:
        Relay.from_url(url).send(message(), "", "ann@example.org")
    assert not isinstance(caught.value, MailUncertain)


@pytest.mark.parametrize("pipelining", [False, True])
def test_lines_that_begin_with_a_dot_and_the_boundary_in_a_part_arrive_as_written(
    pipelining: bool,
) -> None:
    text = f".hidden\n..two\n.\n--{BOUNDARY}\n--{BOUNDARY}--\nend\n"
    html = f"<p>x</p>\n--{BOUNDARY}\n.\n"
    server = Sink(pipelining=pipelining)
    controller = server.start()
    try:
        Relay.from_url(server.url()).send(message(text=text, html=html), "", "ann@example.org")
    finally:
        controller.stop()
    [got] = server.received
    parts = [part.get_content() for part in got.message.iter_parts()]
    assert [part.replace("\r\n", "\n") for part in parts] == [text, html]


@pytest.mark.parametrize("utf8", [True, False])
def test_a_sender_address_in_utf8_goes_where_the_server_takes_one(utf8: bool) -> None:
    server = Sink(utf8=utf8)
    controller = server.start()
    try:
        relay = Relay.from_url(server.url())
        if utf8:
            relay.send(message("planner <büro@example.org>"), "", "ann@example.org")
        else:
            with pytest.raises(MailError, match="no addresses in UTF-8"):
                relay.send(message("planner <büro@example.org>"), "", "ann@example.org")
    finally:
        controller.stop()
    assert [r.sender for r in server.received] == (["büro@example.org"] if utf8 else [])


def test_no_line_break_reaches_a_command() -> None:
    server = Sink(pipelining=True)
    controller = server.start()
    try:
        with pytest.raises(MailError, match="line break"):
            Relay.from_url(server.url()).send(
                message(), "", "ann@example.org\r\nRCPT TO:<victim@victim.example>"
            )
    finally:
        controller.stop()
    assert server.received == [] and not server.data_started.is_set()


def test_a_message_that_cannot_go_out_is_a_failure_said_in_words() -> None:
    """A message that names no sender address fails before any command: MailError (the digest
    row is marked failed, for a person to see), not an error that would leave it "sending"."""
    server = Sink(pipelining=True)
    controller = server.start()
    nobody = message()
    nobody.replace_header("From", "undisclosed-recipients:;")
    try:
        with pytest.raises(MailError, match="names no sender address"):
            Relay.from_url(server.url()).send(nobody, "", "ann@example.org")
    finally:
        controller.stop()
    assert server.received == [] and not server.data_started.is_set()
