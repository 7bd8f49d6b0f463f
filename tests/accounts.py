"""Signing in from tests: one password for every test account, the CSRF token of a page, and a
test client signed in through the real sign-in form."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(page: str) -> str:
    match = _TOKEN.search(page)
    assert match, "form without a CSRF token"
    return match.group(1)


def sign_in(
    client: FlaskClient, email: str, password: str = PASSWORD, next_: str = ""
) -> TestResponse:
    """POST the sign-in form (with the token of the sign-in page) and return the answer."""
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    url = f"/sign-in?next={next_}" if next_ else "/sign-in"
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def signed_in(app: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    """A new client of `app`, signed in as `email`."""
    client = app.test_client()
    answer = sign_in(client, email, password)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client
