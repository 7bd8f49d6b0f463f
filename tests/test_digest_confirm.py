"""Mail goes to one real, confirmed address only: an account's address is one plain addr-spec
(sign-up refuses lists, names and quotes); in multi-user mode a digest waits until the owner of
the address opened a signed, expiring link mailed to it (at most one such mail per ten minutes,
never shown on the web), while the local owner of a single-user install needs none."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from planner import db
from planner.accounts import AccountError, find_user, normalize_email
from planner.confirmation import MAX_AGE, SALT, SUBJECT, confirm_token
from planner.digest import week_of
from planner.mail import part, unsubscribe_token
from planner.models import DigestSend, User
from planner.sending import send_digest
from tests.accounts import PASSWORD, csrf_token, signed_in
from tests.conftest import close, make_app
from tests.test_digest_smtp import Sink, due_now, plan_for, sink_fixture  # noqa: F401 - a fixture


@pytest.mark.parametrize(
    "address",
    [
        "mallory@evil.example,victim@victim.example",
        "mallory@evil.example;victim@victim.example",
        "mallory@evil.example victim@victim.example",
        "Ann <ann@example.org>",
        '"ann"@example.org',
        "ann(comment)@example.org",
        "ann@example..org",
        "ann@exa_mple.org",
        "ann@-example.org",
        "zoë@example.org",
        "ann@",
        "@example.org",
        "ann@@example.org",
        "ann.@example.org",
    ],
)
def test_an_account_address_is_one_plain_address(address: str) -> None:
    with pytest.raises(AccountError, match="is not an email address"):
        normalize_email(address)


def test_plain_addresses_are_kept_in_lower_case() -> None:
    assert normalize_email(" Ann.Lee+Digest@Example.ORG ") == "ann.lee+digest@example.org"
    assert normalize_email("o'brien@mail.example-host.org") == "o'brien@mail.example-host.org"
    assert normalize_email("owner@localhost") == "owner@localhost"


def test_sign_up_refuses_an_address_list(multi: Flask) -> None:
    client = multi.test_client()
    token = csrf_token(client.get("/sign-up").text)
    answer = client.post("/sign-up", data={
        "csrf_token": token, "email": "mallory@evil.example,victim@victim.example",
        "password": PASSWORD, "confirm": PASSWORD,
    })  # fmt: skip
    assert answer.status_code == 400 and "is not an email address" in answer.text
    assert db.session().scalar(select(func.count()).select_from(User)) == 2  # ann and bob


def outbox(app: Flask) -> Path:
    return Path(app.instance_path) / "mail"


def test_a_digest_waits_for_the_address_to_be_confirmed(multi: Flask) -> None:
    now = datetime.now(UTC)
    ann = plan_for("ann@example.org", now)
    due_now(ann, now)
    week = week_of(now, ann.timezone)
    assert send_digest(ann.id, week, now.isoformat())["status"] == "unreachable"
    assert db.session().scalars(select(DigestSend)).first() is None and not outbox(multi).exists()
    client = signed_in(multi, "ann@example.org")
    page = client.get("/digest").text
    assert "Confirm your address first" in page and "Send the confirmation mail" in page
    assert client.post("/digest/confirm").status_code == 400  # no CSRF token
    asked = client.post("/digest/confirm", data={"csrf_token": csrf_token(page)},
                        follow_redirects=True)  # fmt: skip
    assert "A confirmation mail is on its way to ann@example.org" in asked.text
    [path] = outbox(multi).iterdir()
    link = _link(path)
    again = client.post("/digest/confirm", data={"csrf_token": csrf_token(page)},
                        follow_redirects=True)  # fmt: skip
    assert "Another can be sent from" in again.text and len(list(outbox(multi).iterdir())) == 1
    page = client.get("/digest").text
    assert "went out a few minutes ago" in page and "Send the confirmation mail" not in page
    assert path.name not in page and client.get(f"/digest/outbox/{path.name}").status_code == 404
    confirmed = multi.test_client().get(urlsplit(link).path)  # no sign-in needed
    assert confirmed.status_code == 200 and "Address confirmed" in confirmed.text
    db.session().refresh(ann)
    assert ann.email_confirmed_at is not None
    assert send_digest(ann.id, week, now.isoformat())["status"] == "sent"
    assert "Confirm your address first" not in client.get("/digest").text


def _link(path: Path) -> str:
    """The confirmation link of the mail in `path`, the same in both parts."""
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"] == SUBJECT and message["To"] == "ann@example.org"
    assert "List-Unsubscribe" not in message  # one mail asked for, not a list
    text, html = part(message, "plain") or "", part(message, "html") or ""  # type: ignore[arg-type]
    [link] = re.findall(r"https?://\S+/confirm-email/\S+", text)
    assert f'href="{link}"' in html and f"within {MAX_AGE.days} days" in text
    return link


class _Past(TimestampSigner):
    """Signs as if it were four days ago."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 4 * 86400


def test_a_confirmation_link_is_for_one_account_one_address_a_few_days(multi: Flask) -> None:
    session = db.session()
    ann = find_user(session, "ann@example.org")
    assert ann is not None
    secret = multi.config["SECRET_KEY"]
    good = confirm_token(secret, ann)
    claims = {"u": ann.id, "e": ann.email}
    tokens = {
        URLSafeTimedSerializer(secret, salt=SALT, signer=_Past).dumps(claims): "has expired",
        URLSafeTimedSerializer("another key", salt=SALT).dumps(claims): "is not valid",
        URLSafeTimedSerializer(secret, salt=SALT).dumps(claims | {"e": "old@example.org"}): (
            "is not valid"  # the account's address changed since the link went out
        ),
        good[:-4]: "is not valid",
        unsubscribe_token(secret, ann.id, "key"): "is not valid",  # another kind of link
    }
    client = multi.test_client()
    for token, words in tokens.items():
        answer = client.get(f"/confirm-email/{token}")
        assert answer.status_code == 404 and words in answer.text, token
    session.refresh(ann)
    assert ann.email_confirmed_at is None
    assert client.get(f"/confirm-email/{good}").status_code == 200


def test_a_refused_confirmation_mail_can_be_asked_for_again(tmp_path: Path) -> None:
    """The server refused it: the user reads plain words (not the server's), and may ask again
    at once."""
    server = Sink(refuse="554 5.7.1 Relay access denied by mx.internal.example")
    controller = server.start()
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, MODE="multi",
                   SMTP_URL=server.url())  # fmt: skip
    try:
        with app.app_context():
            from planner.accounts import create_user

            create_user(db.session(), "ann@example.org", PASSWORD, datetime.now(UTC))
            db.session().commit()
            client = signed_in(app, "ann@example.org")
            token = csrf_token(client.get("/digest").text)
            answer = client.post("/digest/confirm", data={"csrf_token": token},
                                 follow_redirects=True)  # fmt: skip
            assert "could not be sent just now" in answer.text
            assert "554" not in answer.text and "127.0.0.1" not in answer.text
            assert "Send the confirmation mail" in answer.text  # no wait imposed
            ann = find_user(db.session(), "ann@example.org")
            assert ann is not None and ann.confirm_sent_at is None
            close(app)
    finally:
        controller.stop()
