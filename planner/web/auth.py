"""Who is looking, and signing in.

Two modes (`PLANNER_MODE`):
- `single` (the embedded default): every request is the local owner's, without a password; the
  app then answers only requests from this machine (loopback), so a laptop install is never an
  open door on a network.
- `multi`: accounts with sign-in; every page but the sign-in and sign-up pages (and views marked
  `public`, e.g. private-token feeds) requires it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from planner import db
from planner.accounts import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    AccountError,
    create_user,
    password_matches,
    set_password,
    sign_in,
)
from planner.models import User
from planner.sources import owner

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"

ALWAYS_OPEN = {"static", "auth.sign_in", "auth.sign_up"}
F = TypeVar("F", bound=Callable[..., Any])


def public(view: F) -> F:
    """Mark a view as reachable without signing in (it checks its own secret)."""
    view.public = True  # type: ignore[attr-defined]
    return view


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.before_request(_forget_previous_request)
    app.before_request(_require_viewer)
    app.context_processor(lambda: {"single_user": single_user(), "viewer": _viewer_or_none()})


def single_user() -> bool:
    return current_app.config["MODE"] == "single"


def viewer() -> User:
    """The signed-in user (in single-user mode, the local owner)."""
    user = current_user._get_current_object()
    if not isinstance(user, User):
        abort(401)
    return user


def _viewer_or_none() -> User | None:
    user = current_user._get_current_object() if request else None
    return user if isinstance(user, User) else None


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    if single_user():
        return None  # the request loader below decides
    number, _, version = user_id.partition(".")
    if not number.isdigit() or not version.isdigit():
        return None
    user = db.session().get(User, int(number))
    if user is None or user.auth_version != int(version) or not user.password_hash:
        return None  # the password changed since: this session is over
    return user


@login_manager.request_loader
def _local_owner(_request: Any) -> User | None:
    if not single_user():
        return None
    s = db.session()
    user = owner(s)
    s.commit()
    return user


def _forget_previous_request() -> None:
    """Who is signed in and the CSRF token come from this request's cookie, never from an app
    context that outlived an earlier request (tests and scripts keep one pushed)."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").split("%")[0]).is_loopback
    except ValueError:
        return False


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def local_host(host: str | None) -> bool:
    """Whether a Host header names this machine (any port): in single-user mode a page asked
    for under another name is refused, so that a web page elsewhere cannot reach the app through
    a domain that resolves to 127.0.0.1 (DNS rebinding)."""
    name = (host or "").strip().lower()
    if name.startswith("["):
        name = name[: name.find("]") + 1] if "]" in name else name
    else:
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    return name in LOCAL_HOSTS


def _require_viewer() -> Response | tuple[str, int] | None:
    if single_user():
        if not _loopback(request.remote_addr) or not local_host(request.host):
            return render_template("auth/local_only.html"), 403
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if request.endpoint in ALWAYS_OPEN or getattr(view, "public", False) or view is None:
        return None
    if not current_user.is_authenticated:
        if request.method != "GET":
            abort(401)
        if request.path != "/":
            flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    return None


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never `//host`, `/\\host` or a
    URL with a scheme), else the home page."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("events.index")
    if any(c in target for c in "\\\r\n\t") or any(ord(c) < 32 for c in target):
        return url_for("events.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("events.index")
    return target


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])


class SignUpForm(FlaskForm):
    name = StringField("Your name (optional)", validators=[Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField(
        f"Password (at least {MIN_PASSWORD} characters)",
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=MAX_PASSWORD)],
    )
    confirm = PasswordField(
        "Password again", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField(
        f"New password (at least {MIN_PASSWORD} characters)",
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=MAX_PASSWORD)],
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )


class SignOutForm(FlaskForm):
    """Only the CSRF token."""


def _begin(user: User) -> None:
    session.clear()  # a fresh session: nothing carried over from before sign-in
    session.permanent = True
    login_user(user)


@bp.route("/sign-in", methods=["GET", "POST"], endpoint="sign_in")
def sign_in_page() -> Response | str | tuple[str, int]:
    if single_user():
        return redirect(url_for("events.index"))
    form = SignInForm()
    target = request.args.get("next")
    if form.validate_on_submit():
        s = db.session()
        result = sign_in(
            s,
            form.email.data or "",
            form.password.data or "",
            request.remote_addr or "unknown",
            datetime.now(UTC),
        )
        s.commit()
        if result.user is not None:
            _begin(result.user)
            return redirect(safe_next(target))
        status = 429 if result.error and result.error.startswith("Too many") else 401
        form.password.errors = [result.error or "Wrong email or password."]
        return render_template("auth/sign_in.html", form=form, next=target), status
    return render_template("auth/sign_in.html", form=form, next=target)


@bp.route("/sign-up", methods=["GET", "POST"])
def sign_up() -> Response | str | tuple[str, int]:
    if single_user():
        return redirect(url_for("events.index"))
    if not current_app.config["SIGNUP"]:
        return render_template("auth/sign_up.html", form=None), 403
    form = SignUpForm()
    if form.validate_on_submit():
        s = db.session()
        try:
            user = create_user(
                s,
                form.email.data or "",
                form.password.data or "",
                datetime.now(UTC),
                name=form.name.data,
            )
        except AccountError as exc:
            s.rollback()
            form.email.errors = [str(exc)[:1].upper() + str(exc)[1:] + "."]
            return render_template("auth/sign_up.html", form=form), 400
        s.commit()
        _begin(user)
        flash("Welcome. Start with your home city and a goal or two.", "ok")
        return redirect(url_for("events.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/sign_up.html", form=form), status


@bp.post("/sign-out")
def sign_out() -> Response:
    if not SignOutForm().validate_on_submit():
        abort(400)
    logout_user()
    session.clear()
    flash("Signed out.", "ok")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
def password() -> Response | str | tuple[str, int]:
    if single_user():
        flash("Single-user mode has no password: this machine is the only way in.", "info")
        return redirect(url_for("events.index"))
    user = viewer()
    form = PasswordForm()
    if form.validate_on_submit():
        if not password_matches(user, form.current.data or ""):
            form.current.errors = ["That is not your current password."]
            return render_template("auth/password.html", form=form), 400
        try:
            set_password(user, form.password.data or "")
        except AccountError as exc:
            form.password.errors = [str(exc)]
            return render_template("auth/password.html", form=form), 400
        db.session().commit()
        _begin(user)  # this session goes on with the new id; the others end
        flash("Password changed. Other sessions of this account are signed out.", "ok")
        return redirect(url_for("events.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status
