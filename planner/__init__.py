"""planner: where to meet whom, in person."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def _assets(name: str) -> str:
    """templates/ or static/: inside the installed package, else at the top of the checkout."""
    packaged = Path(__file__).resolve().parent / name
    return str(packaged if packaged.is_dir() else ROOT / name)


def create_app(test_config: Mapping[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the web app: settings from the environment (or `test_config`), database, views.

    `serving=False` (command-line tools that sign nothing) skips the refusal to run with the
    development secret key; the web server and the workers always check it."""
    from planner import config as settings
    from planner import db, jobs, web

    values = settings.load_config(os.environ)
    values.update(test_config or {})
    app = Flask(
        __name__,
        instance_path=values.get("INSTANCE_PATH") or None,
        template_folder=_assets("templates"),
        static_folder=_assets("static"),
    )
    app.config.update(values)
    settings.check_config(app.config, serving)
    development = bool(app.config.get("DEBUG") or app.config.get("TESTING"))
    secure = values.get("SESSION_COOKIE_SECURE", not development)  # https outside development
    app.config.update(
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=30 * 86400,
        MAX_CONTENT_LENGTH=app.config["MAX_UPLOAD_BYTES"] + 64 * 1024,  # the file and its form
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = settings.sqlite_url(app.instance_path)
    db.init_app(app)
    jobs.init_app(app)
    web.init_app(app)
    hops = app.config["PROXY_HOPS"]
    if hops:  # the client's address (sign-in limits) and https (cookies) as the proxy saw them
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app
