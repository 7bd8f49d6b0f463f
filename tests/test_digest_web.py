"""The Digest page: settings (with CSRF), the preview (records nothing), the outbox of .eml
files without SMTP and its viewer (a strict policy for the mail's HTML), a person's decisions
on a failed week, the unsubscribe links (bad, revoked; their tokens) and another user's things
"not found"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from flask import Flask
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from planner import db
from planner.digest import week_of
from planner.mail import UNSUBSCRIBE_SALT, new_mail_key, unsubscribe_claim, unsubscribe_token
from planner.models import DigestSend, Recommendation, User
from planner.outbox import OUTBOX_NAME
from planner.sending import send_digest
from tests.accounts import csrf_token, signed_in
from tests.conftest import close, make_app
from tests.test_digest_smtp import plan_for

STRICT = "default-src 'none'; style-src 'unsafe-inline'"


def test_settings_need_the_csrf_token_and_are_saved(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/digest")
    assert page.status_code == 200
    assert "Weekly digest" in page.text and "Your time zone: <strong>UTC</strong>" in page.text
    assert client.post("/digest", data={"weekday": "4", "hour": "18"}).status_code == 400
    token = csrf_token(page.text)
    answer = client.post("/digest", data={"csrf_token": token, "weekday": "4", "hour": "18"})
    assert answer.status_code == 302
    owner = db.session().scalars(select(User)).one()
    db.session().refresh(owner)
    assert (owner.digest_enabled, owner.digest_weekday, owner.digest_hour) == (False, 4, 18)
    page = client.get("/digest").text
    assert "The weekly digest is <strong>off</strong>" in page
    assert '<option selected value="4">Friday</option>' in page
    bad = client.post("/digest", data={"csrf_token": token, "enabled": "y", "hour": "24"})
    assert bad.status_code == 400


def test_preview_shows_this_weeks_digest_and_records_nothing(app: Flask) -> None:
    now = datetime.now(UTC)
    plan_for("owner@localhost", now)
    client = app.test_client()
    page = client.get("/digest/preview")
    assert page.status_code == 200
    assert "Next two weeks: " in page.text and "Nothing was sent or recorded" in page.text
    assert 'src="/digest/preview/mail.html"' in page.text and "sandbox=" in page.text
    assert "PyBerlin Talks" in page.text  # the text part, under "The plain-text version"
    mail = client.get("/digest/preview/mail.html")
    assert mail.status_code == 200 and mail.headers["Content-Security-Policy"].startswith(STRICT)
    assert "<script" not in mail.text and "PyBerlin Talks" in mail.text
    session = db.session()
    assert session.scalar(select(func.count()).select_from(DigestSend)) == 0
    assert session.scalar(select(func.count()).select_from(Recommendation)) == 0
    assert not (Path(app.instance_path) / "mail").exists()


def test_without_smtp_each_digest_is_an_eml_file_shown_on_the_page(app: Flask) -> None:
    now = datetime.now(UTC)
    owner = plan_for("owner@localhost", now)
    week = week_of(now, owner.timezone)
    result = send_digest(owner.id, week, now.isoformat(), asked=True)
    [path] = (Path(app.instance_path) / "mail").iterdir()
    match = OUTBOX_NAME.match(path.name)
    assert match and match.group(1) == week and match.group(2) == str(owner.id)
    written = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert written["Message-ID"] == result["message_id"]
    assert written["To"].addresses[0].addr_spec == "owner@localhost"
    client = app.test_client()
    page = client.get("/digest").text
    assert "Mail written to this machine" in page and written["Subject"] in page
    assert f'href="/digest/outbox/{path.name}"' in page
    assert "This week’s digest was sent" in page
    viewer = client.get(f"/digest/outbox/{path.name}")
    assert viewer.status_code == 200 and written["Subject"] in viewer.text
    html = client.get(f"/digest/outbox/{path.name}/mail.html")
    assert html.headers["Content-Security-Policy"].startswith(STRICT)
    assert "Manage preferences" in html.text
    for name in ("..%2Fplanner.sqlite3", path.name.replace(f"-{owner.id}-", "-99-"), "x.eml"):
        assert client.get(f"/digest/outbox/{name}").status_code == 404


def test_a_failed_week_can_be_skipped_once(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/digest").text
    owner = db.session().scalars(select(User)).one()
    this_week = week_of(datetime.now(UTC), owner.timezone)
    error = "mail.example.org:587: no answer within 30 s"
    row = DigestSend(owner_id=owner.id, week=this_week, status="failed", error=error)
    db.session().add(row)
    db.session().commit()
    page = client.get("/digest").text
    assert "the mail server did not take it" in page and "Try again" in page
    assert "Details: mail.example.org:587: no answer within 30 s" in page  # the owner runs it
    token = csrf_token(page)
    assert client.post(f"/digest/sends/{row.id}/skipped").status_code == 400  # no token
    assert (
        client.post(f"/digest/sends/{row.id}/skipped", data={"csrf_token": token}).status_code
        == 302
    )
    db.session().refresh(row)
    assert row.status == "skipped"
    again = client.post(f"/digest/sends/{row.id}/sent", data={"csrf_token": token})
    assert again.status_code == 302
    db.session().refresh(row)
    assert row.status == "skipped"  # settled once; a second decision changes nothing


def test_an_old_week_is_never_sent_again(app: Flask) -> None:
    """Sent today, an old week's digest would say what is on now under that week: it may be
    marked as sent or skipped, not sent again (neither offered nor done when asked)."""
    from planner.sending import resend_digest

    now = datetime.now(UTC)
    owner = plan_for("owner@localhost", now)
    old = week_of(now - timedelta(weeks=3), owner.timezone)
    failed = DigestSend(
        owner_id=owner.id,
        week=old,
        status="failed",
        started_at=now - timedelta(weeks=3),
        error="could not compose the digest: (sqlite3.OperationalError) disk I/O error",
    )
    cut = DigestSend(
        owner_id=owner.id,
        week=week_of(now - timedelta(weeks=2), owner.timezone),
        status="sending",
        started_at=now - timedelta(weeks=2),
        message_id="<m@p>",
    )
    db.session().add_all([failed, cut])  # fmt: skip
    db.session().commit()
    client = app.test_client()
    page = client.get("/digest").text
    assert "something went wrong while putting it together" in page
    assert "Try again" not in page and "Send again" not in page
    assert "It arrived: mark as sent" in page and page.count("Skip it") == 2
    assert page.count("Too old to try again") + page.count("too old to send again") == 2
    answer = client.post(f"/digest/sends/{cut.id}/again", data={"csrf_token": csrf_token(page)},
                         follow_redirects=True)  # fmt: skip
    assert "too old to send again" in answer.text
    assert resend_digest(failed.id, failed.started_at.isoformat())["status"] == "stale"
    assert resend_digest(cut.id, cut.started_at.isoformat())["status"] == "stale"
    assert not (Path(app.instance_path) / "mail").exists()
    db.session().refresh(cut)
    assert cut.status == "sending" and cut.message_id == "<m@p>"


def test_in_multi_user_mode_the_server_s_words_stay_with_the_operator(multi: Flask) -> None:
    now = datetime.now(UTC)
    ann = db.session().scalars(select(User).where(User.email == "ann@example.org")).one()
    db.session().add_all([
        DigestSend(owner_id=ann.id, week=week_of(now, ann.timezone), status="failed",
                   started_at=now, error="10.0.0.7:25: refused (554 relay denied for x.internal)"),
        DigestSend(owner_id=ann.id, week=week_of(now - timedelta(weeks=1), ann.timezone),
                   status="sending", started_at=now - timedelta(weeks=1),
                   error="10.0.0.7:25: the server closed the connection", message_id="<m@p>"),
    ])  # fmt: skip
    db.session().commit()
    page = signed_in(multi, "ann@example.org").get("/digest").text
    assert "the mail server did not take it" in page and "Try again" in page
    assert "it may or may not have arrived" in page and page.count("may or may not") == 1
    for detail in ("10.0.0.7", "554", "x.internal", "closed the connection", "server’s log"):
        assert detail not in page


def unsubscribe_path(app: Flask, user: User, now: datetime) -> str:
    """The unsubscribe link of a digest written for `user` (to the outbox)."""
    send_digest(user.id, week_of(now, user.timezone), now.isoformat(), asked=True)
    [path] = (Path(app.instance_path) / "mail").glob(f"*-{user.id}-*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    found = re.fullmatch(r"<https?://[^/]+(/unsubscribe/[\w.-]+)>", message["List-Unsubscribe"])
    assert found
    return found.group(1)


def test_bad_and_revoked_unsubscribe_links_say_so(app: Flask) -> None:
    now = datetime.now(UTC)
    owner = plan_for("owner@localhost", now)
    target = unsubscribe_path(app, owner, now)
    client = app.test_client()
    for broken in (
        target[:-3],
        "/unsubscribe/nonsense",
        target.replace("/unsubscribe/", "/unsubscribe/x"),
    ):
        answer = client.get(broken)
        assert answer.status_code == 404 and "This link is no longer valid" in answer.text
    assert client.get(target).status_code == 200
    page = client.get("/digest").text
    assert (
        client.post("/digest/links/reset", data={"csrf_token": csrf_token(page)}).status_code == 302
    )
    assert client.get(target).status_code == 404  # a new key: the old links are revoked
    assert client.post(target, data={"List-Unsubscribe": "One-Click"}).status_code == 404
    db.session().refresh(owner)
    assert owner.digest_enabled


def test_in_multi_user_mode(multi: Flask) -> None:
    """Unsubscribing needs no sign-in; every other digest page does, and shows only your own."""
    now = datetime.now(UTC)
    ann = plan_for("ann@example.org", now)
    ann.email_confirmed_at = now  # in multi-user mode mail goes to confirmed addresses only
    db.session().commit()
    target = unsubscribe_path(multi, ann, now)
    [name] = [p.name for p in (Path(multi.instance_path) / "mail").iterdir()]
    row = db.session().scalars(select(DigestSend)).one()
    stranger = multi.test_client()
    assert stranger.get("/digest").status_code == 302  # to the sign-in page
    assert stranger.get(f"/digest/outbox/{name}").status_code == 302
    bob = signed_in(multi, "bob@example.org")
    assert bob.get(f"/digest/outbox/{name}").status_code == 404
    assert bob.get(f"/digest/outbox/{name}/mail.html").status_code == 404
    token = csrf_token(bob.get("/digest").text)
    assert name not in bob.get("/digest").text
    assert (
        bob.post(f"/digest/sends/{row.id}/skipped", data={"csrf_token": token}).status_code == 404
    )
    page = stranger.get(target)
    assert page.status_code == 200 and "ann@example.org" in page.text
    done = stranger.post(target, data="List-Unsubscribe=One-Click",
                         content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert done.status_code == 200 and "Unsubscribed" in done.text
    db.session().refresh(ann)
    assert not ann.digest_enabled
    assert stranger.post("/digest/links/reset").status_code in (400, 401)  # CSRF still guards


def test_a_malformed_owner_address_gets_no_mail_and_says_so(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path,
                   OWNER_EMAIL="me@example.org,victim@victim.example")  # fmt: skip
    with app.app_context():
        client = app.test_client()
        assert "cannot receive mail from this server" in client.get("/digest").text
        preview = client.get("/digest/preview")
        assert preview.status_code == 409 and "not one email address" in preview.text
        owner = db.session().scalars(select(User)).one()
        week = week_of(datetime.now(UTC), owner.timezone)
        assert send_digest(owner.id, week, asked=True)["status"] == "unreachable"
        close(app)


def test_unsubscribe_tokens_are_itsdangerous_own_and_compressed_ones_still_load() -> None:
    secret, key = "s" * 32, new_mail_key()
    signer = URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT)
    assert unsubscribe_token(secret, 7, key) == signer.dumps({"u": 7, "k": key})
    squeezed = signer.dumps({"u": 7, "k": "a" * 100})
    assert squeezed.startswith(".")  # zlib'd, as itsdangerous does when that is shorter
    assert unsubscribe_claim(secret, squeezed) == (7, "a" * 100)
