"""The weekly email digest: settings, "preview this week's digest", the mails written to the
instance folder without SMTP, and the one-click unsubscribe (GET confirms, POST unsubscribes)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("digest", __name__)
