"""Accounts: sign-up, sign-in (rate-limited), sign-out, password change, safe redirects, cookie
flags, single-user mode, and one user never reaching another's sources or events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from planner import db
from planner.accounts import FAILURE_WINDOW, MAX_FAILURES_PER_ACCOUNT
from planner.demo import build_feeds
from planner.jobs import refresh_source
from planner.models import Event, Source, User
from planner.sources import add_file_source
from tests.accounts import PASSWORD, csrf_token, sign_in
from tests.conftest import close, make_app


def test_pages_need_sign_in_and_come_back_after_it(multi: Flask) -> None:
    client = multi.test_client()
    away = client.get("/sources/")
    assert away.status_code == 302 and away.location.startswith("/sign-in?next=/sources/")
    assert client.post("/sources/", data={"url": "https://example.org"}).status_code in (400, 401)
    signed = sign_in(client, "ANN@example.org ", next_="/sources/")
    assert signed.status_code == 302 and signed.location == "/sources/"
    page = client.get("/sources/").get_data(as_text=True)
    assert "ann@example.org" in page and "Sign out" in page and "single-user" not in page


def test_sign_up_signs_in_and_sign_out_needs_the_form(multi: Flask) -> None:
    client = multi.test_client()
    token = csrf_token(client.get("/sign-up").get_data(as_text=True))
    form = {"email": "cy@example.org", "password": PASSWORD, "confirm": PASSWORD}
    assert client.post("/sign-up", data=form).status_code == 400  # no CSRF token
    short = client.post("/sign-up", data={**form, "password": "short", "csrf_token": token})
    assert short.status_code == 400 and "at least 10" in short.get_data(as_text=True)
    taken = client.post("/sign-up", data={**form, "email": "ann@example.org", "csrf_token": token})
    assert "already exists" in taken.get_data(as_text=True)
    made = client.post("/sign-up", data={**form, "csrf_token": token})
    assert made.status_code == 302 and client.get("/").status_code == 200
    user = db.session().scalar(select(User).where(User.email == "cy@example.org"))
    assert user is not None and user.password_hash and user.password_hash.startswith("scrypt:")
    assert client.post("/sign-out").status_code == 400  # a cross-site POST cannot sign you out
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_sign_up_can_be_closed(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, MODE="multi", SIGNUP=False)
    with app.app_context():
        page = app.test_client().get("/sign-up")
        assert page.status_code == 403 and "does not take new accounts" in page.get_data(True)
        close(app)


def test_wrong_passwords_are_limited_per_account(multi: Flask) -> None:
    client = multi.test_client()
    wrong = sign_in(client, "ann@example.org", "not the password")
    assert wrong.status_code == 401
    assert "Wrong email or password" in wrong.get_data(as_text=True)
    unknown = sign_in(client, "nobody@example.org", "whatever at all")
    assert "Wrong email or password" in unknown.get_data(as_text=True)
    for _ in range(MAX_FAILURES_PER_ACCOUNT - 1):
        sign_in(client, "ann@example.org", "still not it")
    locked = sign_in(client, "ann@example.org", PASSWORD)  # even the right one, for a while
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    other = sign_in(multi.test_client(), "bob@example.org")  # another account is not locked
    assert other.status_code == 302


def test_the_limit_passes_with_time(multi: Flask) -> None:
    from planner.accounts import sign_in as check

    session = db.session()
    then = datetime(2026, 1, 1, 12, tzinfo=UTC)
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert check(session, "ann@example.org", "nope", "10.0.0.1", then).user is None
    assert check(session, "ann@example.org", PASSWORD, "10.0.0.1", then).error
    later = check(session, "ann@example.org", PASSWORD, "10.0.0.1", then + FAILURE_WINDOW)
    assert later.user is not None and later.user.email == "ann@example.org"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\r\nSet-Cookie:x=1",
        "evil.example",
    ],
)
def test_next_never_leaves_the_site(multi: Flask, target: str) -> None:
    from urllib.parse import quote

    done = sign_in(multi.test_client(), "ann@example.org", next_=quote(target, safe=""))
    assert done.location == "/"


def test_next_within_the_site_is_kept(multi: Flask) -> None:
    done = sign_in(multi.test_client(), "ann@example.org", next_="/sources/%3Fx%3D1")
    assert done.location == "/sources/?x=1"


def test_password_change_ends_other_sessions(multi: Flask) -> None:
    here, elsewhere = multi.test_client(), multi.test_client()
    sign_in(here, "ann@example.org")
    sign_in(elsewhere, "ann@example.org")
    token = csrf_token(here.get("/account/password").get_data(as_text=True))
    form = {"current": "wrong password!", "password": "a new long password", "csrf_token": token}
    form["confirm"] = form["password"]
    assert here.post("/account/password", data=form).status_code == 400
    assert here.post("/account/password", data={**form, "current": PASSWORD}).status_code == 302
    assert here.get("/").status_code == 200  # this session goes on
    assert elsewhere.get("/").status_code == 302  # the other one is over
    assert sign_in(multi.test_client(), "ann@example.org").status_code == 401
    fresh = sign_in(multi.test_client(), "ann@example.org", "a new long password")
    assert fresh.status_code == 302


def test_cookie_flags(multi: Flask, tmp_path: Path) -> None:
    client = multi.test_client()
    cookie = sign_in(client, "ann@example.org").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development and tests run on plain http
    production = make_app(
        f"sqlite:///{tmp_path / 'prod.sqlite3'}", tmp_path, TESTING=False, MODE="multi"
    )
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    with production.app_context():
        close(production)


def test_csp_forbids_inline_script(multi: Flask) -> None:
    policy = multi.test_client().get("/sign-in").headers["Content-Security-Policy"]
    script = next(part for part in policy.split(";") if "script-src" in part)
    assert "'unsafe-inline'" not in script and "'self'" in script
    assert "'unsafe-inline'" not in policy


def test_single_user_mode_answers_only_this_machine(app: Flask) -> None:
    client = app.test_client()
    home = client.get("/")
    assert home.status_code == 200 and "single-user mode" in home.get_data(as_text=True)
    assert client.get("/sign-in").status_code == 302  # nothing to sign in to
    remote = client.get("/", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert remote.status_code == 403 and "PLANNER_MODE=multi" in remote.get_data(as_text=True)
    assert client.get("/", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("localhost", 200),
        ("localhost:5000", 200),
        ("127.0.0.1:5000", 200),
        ("[::1]:5000", 200),
        ("rebind.evil.example:5000", 403),  # a name that resolves to 127.0.0.1 (DNS rebinding)
        ("127.0.0.1.nip.io", 403),
        ("localhost.evil.example", 403),
    ],
)
def test_single_user_mode_answers_only_its_local_names(app: Flask, host: str, status: int) -> None:
    answer = app.test_client().get("/", headers={"Host": host})
    assert answer.status_code == status


def test_unknown_mode_is_refused(tmp_path: Path) -> None:
    from planner import create_app
    from planner.config import ConfigError

    with pytest.raises(ConfigError, match="PLANNER_MODE"):
        create_app({"TESTING": True, "MODE": "open", "INSTANCE_PATH": str(tmp_path)})


def test_one_user_cannot_reach_anothers_sources_or_events(multi: Flask, tmp_path: Path) -> None:
    feed = tmp_path / "pyberlin.ics"
    feed.write_bytes(build_feeds(datetime.now(UTC))[0].content)
    session = db.session()
    ann = session.scalar(select(User).where(User.email == "ann@example.org"))
    assert ann is not None
    source = add_file_source(session, ann, feed)
    session.commit()
    refresh_source(source.id)
    event = session.scalars(select(Event).where(Event.owner_id == ann.id)).first()
    assert event is not None

    bob = multi.test_client()
    sign_in(bob, "bob@example.org")
    assert bob.get(f"/events/{event.id}").status_code == 404
    assert event.title not in bob.get("/").get_data(as_text=True)
    assert str(source.url) not in bob.get("/sources/").get_data(as_text=True)
    token = csrf_token(bob.get("/sources/").get_data(as_text=True))
    for action in ("refresh", "remove"):
        done = bob.post(f"/sources/{source.id}/{action}", data={"csrf_token": token})
        assert done.status_code == 404
    session.expire_all()
    assert session.get(Source, source.id) is not None

    ann_client = multi.test_client()
    sign_in(ann_client, "ann@example.org")
    assert ann_client.get(f"/events/{event.id}").status_code == 200


def test_behind_a_proxy_failures_count_per_client(tmp_path: Path) -> None:
    from planner.models import SignInFailure

    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, MODE="multi", PROXY_HOPS=1)
    with app.app_context():
        client = app.test_client()
        token = csrf_token(client.get("/sign-in").get_data(as_text=True))
        client.post(
            "/sign-in",
            data={"email": "x@example.org", "password": "wrong password", "csrf_token": token},
            headers={"X-Forwarded-For": "198.51.100.23"},
        )
        keys = set(db.session().scalars(select(SignInFailure.key)))
        assert keys == {"email:x@example.org", "ip:198.51.100.23"}
        close(app)
