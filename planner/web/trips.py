"""Trips: pages (filled in by the trips work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("trips", __name__, url_prefix="/trips")
