"""Goals: pages (filled in by the goals work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("goals", __name__, url_prefix="/goals")
