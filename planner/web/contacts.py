"""Contacts: pages (filled in by the contacts work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
