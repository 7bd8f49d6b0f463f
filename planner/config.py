"""Settings from `PLANNER_*` environment variables, read when the app is created (not at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused outside debug/testing


class ConfigError(Exception):
    """A setting that cannot work; the message names the variable."""


# name -> (default, parser, description). The README's configuration table mirrors this.
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "DATABASE_URL": (
        None,
        str,
        "SQLAlchemy URL; default SQLite file `planner.sqlite3` in the instance folder",
    ),
    "REDIS_URL": (
        None,
        str,
        "Redis for RQ jobs (e.g. `redis://127.0.0.1:6379/0`); unset: jobs run in-process",
    ),
    "SECRET_KEY": (
        DEFAULT_SECRET_KEY,
        str,
        "signs sessions and CSRF tokens; required outside debug/testing",
    ),
    "DEBUG": (False, "bool", "development mode (`make run` sets it)"),
    "USER_AGENT": (
        "planner/0.1 (+https://planner.invalid/bot)",
        str,
        "User-Agent of every fetch; name a contact",
    ),
    "BASE_URL": (
        "http://127.0.0.1:5000",
        str,
        "public address of the web app (links in feeds and mail)",
    ),
    "SMTP_URL": (
        None,
        str,
        "outgoing mail: `smtp://user:password@host:587` (STARTTLS when offered) or "
        "`smtps://...:465`; unset: each digest is written as an .eml file in the instance folder",
    ),
    "MAIL_FROM": ("planner <planner@localhost>", str, "the From of the digest mail"),
    "MODE": (
        "single",
        str,
        "`single`: no sign-in, the local owner only, answers only on this machine; `multi`: "
        "accounts with sign-in (any deployment others reach)",
    ),
    "PROXY_HOPS": (
        0,
        int,
        "reverse proxies in front of the web app whose X-Forwarded-For/-Proto to trust",
    ),
    "SIGNUP": (True, "bool", "in multi-user mode, whether anyone may create an account"),
    "OWNER_EMAIL": ("owner@localhost", str, "the local owner's account in single-user mode"),
    "MAX_UPLOAD_BYTES": (20 * 1024 * 1024, int, "largest contacts file accepted (web and CLI)"),
    "GEOCODER": ("gazetteer", str, "`gazetteer` (offline, city level) or `nominatim`"),
    "NOMINATIM_URL": (
        "https://nominatim.openstreetmap.org",
        str,
        "Nominatim server when `PLANNER_GEOCODER=nominatim` (one request/s across workers)",
    ),
    "WORKER_NICE": (
        10,
        int,
        "niceness `worker.py` takes (0-19): on a machine shared with the web app, background "
        "jobs yield the CPU to page views; 0: none",
    ),
    "FETCH_CONNECT_TIMEOUT": (5.0, float, "seconds to connect to a source"),
    "FETCH_READ_TIMEOUT": (20.0, float, "seconds between bytes of a response"),
    "FETCH_TOTAL_TIMEOUT": (60.0, float, "seconds for a whole download"),
    "FETCH_MAX_BYTES": (
        10 * 1024 * 1024,
        int,
        "largest body read from a source (after decompression)",
    ),
    "ALLOW_PRIVATE_URLS": (False, "bool", "fetch private/loopback addresses: dev and tests only"),
    "HOST_DELAY": (1.0, float, "seconds between requests to one host (all workers, with Redis)"),
    "MAX_PAGES_PER_RUN": (20, int, "event pages read per listing page and refresh"),
    "PAGE_REFRESH_INTERVAL": (6 * 3600, int, "seconds between refreshes of an event page source"),
    "WINDOW_DAYS": (365, int, "how far ahead recurring series are expanded"),
    "REFRESH_INTERVAL": (3600, int, "seconds between refreshes of an iCal source"),
    "INSTANCE_PATH": (None, str, "folder for the SQLite file and other local state"),
}


def _parse(name: str, raw: str, parser: Any) -> Any:
    if parser == "bool":
        if raw.strip().lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.strip().lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"PLANNER_{name}={raw!r}: expected 1/0, true/false, yes/no")
    try:
        return parser(raw)
    except ValueError:
        raise ConfigError(f"PLANNER_{name}={raw!r}: expected {parser.__name__}") from None


def load_config(environ: Mapping[str, str]) -> dict[str, Any]:
    """Flask config keys from `environ` (PLANNER_X becomes X), defaults filled in."""
    config: dict[str, Any] = {}
    for name, (default, parser, _) in SETTINGS.items():
        raw = environ.get(f"PLANNER_{name}")
        config[name] = default if raw is None else _parse(name, raw, parser)
    return config


MODES = ("single", "multi")
GEOCODERS = ("gazetteer", "nominatim")


def check_config(config: Mapping[str, Any], serving: bool = True) -> None:
    """Refuse settings that cannot work, or (`serving`) that are unsafe outside development."""
    if config.get("MODE") not in MODES:
        raise ConfigError(
            f"PLANNER_MODE={config.get('MODE')!r}: expected one of {', '.join(MODES)}"
        )
    if config.get("GEOCODER") not in GEOCODERS:
        raise ConfigError(
            f"PLANNER_GEOCODER={config.get('GEOCODER')!r}: expected one of {', '.join(GEOCODERS)}"
        )
    if not serving or config.get("DEBUG") or config.get("TESTING"):
        return
    if config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        raise ConfigError(
            "PLANNER_SECRET_KEY is not set: refusing to start outside debug mode with the default "
            "key. Set it to a long random string, e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )


def sqlite_url(instance_path: str | os.PathLike[str]) -> str:
    return f"sqlite:///{Path(instance_path) / 'planner.sqlite3'}"
