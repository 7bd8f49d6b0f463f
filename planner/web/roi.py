"""Roi: pages (filled in by the roi work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("roi", __name__, url_prefix="/roi")
