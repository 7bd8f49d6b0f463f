"""Goals: the rules, the pages (add, edit, pause, resume, remove, all with CSRF), and one user
never reaching another's goals, by URL guessing included."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planner import db
from planner.goals import (
    MAX_GOALS,
    GoalError,
    add_goal,
    check_text,
    goal_of,
    goals_of,
    pause_goal,
    remove_goal,
    resume_goal,
    update_goal,
)
from planner.models import Goal, User
from planner.sources import owner
from tests.accounts import csrf_token
from tests.accounts import signed_in as signed_in_client

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


# --- the rules ---


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("  meet Rust\ndevelopers ", "meet Rust developers"),
        ("find a mentor\x00 in data\x1b engineering", "find a mentor in data engineering"),
        ("hire a\u202e frontend developer", "hire a frontend developer"),
        ("x" * 500, "x" * 500),
    ],
)
def test_goal_text_is_one_clean_line(text: str, kept: str) -> None:
    assert check_text(text) == kept


@pytest.mark.parametrize("text", ["", " \n\t", "\x00\x07", "x" * 501])
def test_goal_text_must_say_something_short(text: str) -> None:
    with pytest.raises(GoalError):
        check_text(text)


def test_goals_crud_in_the_database(any_app: Flask) -> None:
    session = db.session()
    user = owner(session)
    low = add_goal(session, user, "meet Rust developers", 3, NOW)
    high = add_goal(session, user, "hire a frontend developer", 1, NOW + timedelta(minutes=1))
    assert [g.text for g in goals_of(session, user)] == [high.text, low.text]
    for bad in (0, 4, True):
        with pytest.raises(GoalError, match="priority"):
            add_goal(session, user, "speak at a meetup", bad, NOW)  # type: ignore[arg-type]
    with pytest.raises(GoalError, match="already have"):
        add_goal(session, user, "MEET rust developers", 2, NOW)
    pause_goal(high, NOW + timedelta(hours=1))
    assert [g.id for g in goals_of(session, user)] == [low.id, high.id]  # paused ones last
    assert high.paused and high.updated_at == NOW + timedelta(hours=1)
    resume_goal(high, NOW + timedelta(hours=2))
    update_goal(session, low, NOW + timedelta(hours=3), text="meet Go developers", priority=1)
    with pytest.raises(GoalError, match="already have"):
        update_goal(session, low, NOW, text="Hire a frontend developer")
    session.commit()
    session.expire_all()
    assert (low.text, low.priority, low.paused) == ("meet Go developers", 1, False)
    remove_goal(session, high)
    session.commit()
    assert [g.id for g in goals_of(session, user)] == [low.id]


def test_goal_of_is_none_for_anothers_goal(any_app: Flask) -> None:
    session = db.session()
    mine, theirs = owner(session), owner(session, "stranger@example.org")
    goal = add_goal(session, theirs, "meet Rust developers", 2, NOW)
    assert goal_of(session, theirs, goal.id) is goal
    assert goal_of(session, mine, goal.id) is None and goal_of(session, mine, 10**9) is None


def test_there_is_a_most(any_app: Flask) -> None:
    session = db.session()
    user = owner(session)
    for number in range(MAX_GOALS):
        add_goal(session, user, f"goal {number}", 2, NOW)
    with pytest.raises(GoalError, match="the most"):
        add_goal(session, user, "one more", 2, NOW)


# --- the pages ---


@pytest.fixture
def client(any_app: Flask) -> FlaskClient:
    return any_app.test_client()


def texts(page: str) -> list[str]:
    return re.findall(r'<span class="goal-text">([^<]*)</span>', page)


def test_add_edit_pause_resume_remove(client: FlaskClient) -> None:
    token = csrf_token(client.get("/goals/").get_data(as_text=True))
    assert client.post("/goals/", data={"text": "meet Rust developers"}).status_code == 400
    added = client.post("/goals/", data={"text": "meet Rust developers", "csrf_token": token})
    assert added.status_code == 302
    client.post("/goals/", data={"text": "hire a designer", "priority": "1", "csrf_token": token})
    page = client.get("/goals/").get_data(as_text=True)
    assert texts(page) == ["hire a designer", "meet Rust developers"]
    assert "1 · high" in page and "2 · medium" in page
    rust = db.session().query(Goal).filter_by(text="meet Rust developers").one()

    edit = client.get(f"/goals/{rust.id}").get_data(as_text=True)
    assert 'value="meet Rust developers"' in edit
    changes = {"text": "meet Go developers", "priority": "3", "csrf_token": token}
    assert client.post(f"/goals/{rust.id}", data=changes).status_code == 302
    assert client.post(f"/goals/{rust.id}/pause", data={"csrf_token": token}).status_code == 302
    page = client.get("/goals/").get_data(as_text=True)
    assert texts(page) == ["hire a designer", "meet Go developers"]
    assert 'class="goal goal-paused"' in page and "badge-paused" in page
    assert f'action="/goals/{rust.id}/resume"' in page

    assert client.post(f"/goals/{rust.id}/resume", data={"csrf_token": token}).status_code == 302
    assert "badge-paused" not in client.get("/goals/").get_data(as_text=True)
    assert client.post(f"/goals/{rust.id}/remove").status_code == 400  # no CSRF token
    assert client.post(f"/goals/{rust.id}/remove", data={"csrf_token": token}).status_code == 302
    assert texts(client.get("/goals/").get_data(as_text=True)) == ["hire a designer"]
    assert client.get(f"/goals/{rust.id}").status_code == 404


def test_errors_are_shown_next_to_the_text(client: FlaskClient) -> None:
    token = csrf_token(client.get("/goals/").get_data(as_text=True))
    empty = client.post("/goals/", data={"text": " ", "csrf_token": token})
    assert empty.status_code == 400
    assert re.search(r'id="text-error"[^>]*>Say what you want', empty.get_data(as_text=True))
    bad = client.post("/goals/", data={"text": "x", "priority": "7", "csrf_token": token})
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)
    client.post("/goals/", data={"text": "meet Rust developers", "csrf_token": token})
    twice = client.post("/goals/", data={"text": "Meet Rust developers", "csrf_token": token})
    assert twice.status_code == 400 and "You already have that goal." in twice.get_data(
        as_text=True
    )
    assert texts(client.get("/goals/").get_data(as_text=True)) == ["meet Rust developers"]


# --- two users ---


def signed_in(app: Flask, email: str) -> tuple[FlaskClient, str]:
    """A client signed in as `email`, and a CSRF token of its session."""
    client = signed_in_client(app, email)
    return client, csrf_token(client.get("/goals/").get_data(as_text=True))


def test_another_users_goal_is_not_found(multi: Flask) -> None:
    ann, ann_token = signed_in(multi, "ann@example.org")
    bob, bob_token = signed_in(multi, "bob@example.org")
    ann.post("/goals/", data={"text": "meet Rust developers", "csrf_token": ann_token})
    goal = db.session().query(Goal).one()
    assert texts(bob.get("/goals/").get_data(as_text=True)) == []
    assert bob.get(f"/goals/{goal.id}").status_code == 404
    change = {"text": "taken over", "priority": "1", "csrf_token": bob_token}
    assert bob.post(f"/goals/{goal.id}", data=change).status_code == 404
    for action in ("pause", "resume", "remove"):
        answer = bob.post(f"/goals/{goal.id}/{action}", data={"csrf_token": bob_token})
        assert answer.status_code == 404, action
    session = db.session()
    session.expire_all()
    kept = session.get(Goal, goal.id)
    assert kept is not None and (kept.text, kept.paused) == ("meet Rust developers", False)
    ann_id = session.query(User.id).filter_by(email="ann@example.org").scalar()
    assert kept.owner_id == ann_id
    assert texts(ann.get("/goals/").get_data(as_text=True)) == ["meet Rust developers"]


def test_goals_need_sign_in(multi: Flask) -> None:
    client = multi.test_client()
    assert client.get("/goals/").status_code == 302
    assert client.post("/goals/", data={"text": "x"}).status_code in (400, 401)
