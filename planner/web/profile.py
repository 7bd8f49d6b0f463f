"""Profile: pages (filled in by the profile work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("profile", __name__, url_prefix="/profile")
