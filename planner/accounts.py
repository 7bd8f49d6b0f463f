"""Accounts: creating them, passwords (werkzeug scrypt hashes), and slowing down password guessing.

Sign-in failures are kept in the database, so the limit holds across web processes: at most
`MAX_FAILURES_PER_ACCOUNT` failed attempts per account and `MAX_FAILURES_PER_ADDRESS` per client
address within `FAILURE_WINDOW`; beyond that, sign-in is refused until the window has passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from planner.models import SignInFailure, User

MIN_PASSWORD = 10
MAX_PASSWORD = 200  # hashing megabytes of "password" is a denial of service
MAX_EMAIL = 320
# an addr-spec's local part as a dot-atom (RFC 5322), and a domain's label (letters, digits,
# hyphens inside), after lower-casing
LOCAL_PART = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
# checked against when the account does not exist, so that both cases take as long
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone", method="scrypt")


class AccountError(Exception):
    """An account request that cannot be done; the message is for the user."""


def normalize_email(email: str) -> str:
    """An email address as stored: one plain address (`name@example.org`: no display name, no
    second address, no quotes, comments or spaces, ASCII), trimmed, lower case; a usage error
    when it cannot be one."""
    text = email.strip().lower()
    local, _, domain = text.rpartition("@")
    labels = domain.split(".")
    plain = LOCAL_PART.match(local) is not None and len(local) <= 64
    if not plain or not all(DOMAIN_LABEL.match(label) for label in labels):
        hint = "give one address, like name@example.org"
        raise AccountError(f"{text[:MAX_EMAIL]!r} is not an email address: {hint}")
    if len(text) > MAX_EMAIL:
        raise AccountError(f"an email address has at most {MAX_EMAIL} characters")
    return text


def is_email(email: str) -> bool:
    """Whether `email` is one plain address, as `normalize_email` stores them."""
    try:
        return normalize_email(email) == email
    except AccountError:
        return False


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"choose a password of at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"choose a password of at most {MAX_PASSWORD} characters")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(
    session: Session, email: str, password: str | None, now: datetime, name: str | None = None
) -> User:
    """A new account; `password` None makes one that cannot sign in until a password is set."""
    email = normalize_email(email)
    if find_user(session, email) is not None:
        raise AccountError(f"an account for {email} already exists")
    if password is not None:
        check_new_password(password)
    user = User(
        email=email,
        name=(name or "").strip()[:200] or None,
        password_hash=hash_password(password) if password is not None else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """A new password; every other session of the account ends (its id changes)."""
    check_new_password(password)
    user.password_hash = hash_password(password)
    user.auth_version = (user.auth_version or 0) + 1


def password_matches(user: User | None, password: str) -> bool:
    """Whether `password` is `user`'s; as slow for unknown accounts as for known ones."""
    if len(password) > MAX_PASSWORD:
        return False
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


@dataclass(frozen=True)
class SignIn:
    user: User | None
    error: str | None  # for the user, when `user` is None


def sign_in(session: Session, email: str, password: str, address: str, now: datetime) -> SignIn:
    """Check a sign-in; a failure is recorded (committed by the caller) and counts toward the
    limits. When a limit is reached, not even the right password is accepted until it passes."""
    email = email.strip().lower()[:MAX_EMAIL]
    keys = {f"email:{email}": MAX_FAILURES_PER_ACCOUNT, f"ip:{address}": MAX_FAILURES_PER_ADDRESS}
    since = now - FAILURE_WINDOW
    for key, limit in keys.items():
        count = session.scalar(
            select(func.count())
            .select_from(SignInFailure)
            .where(SignInFailure.key == key, SignInFailure.at > since)
        )
        if (count or 0) >= limit:
            minutes = int(FAILURE_WINDOW.total_seconds() // 60)
            return SignIn(None, f"Too many failed sign-ins: wait {minutes} minutes and try again.")
    user = find_user(session, email)
    if password_matches(user, password):
        session.execute(delete(SignInFailure).where(SignInFailure.key == f"email:{email}"))
        return SignIn(user, None)
    session.add_all(SignInFailure(key=key, at=now) for key in keys)
    session.execute(delete(SignInFailure).where(SignInFailure.at < now - 4 * FAILURE_WINDOW))
    return SignIn(None, "Wrong email or password.")
