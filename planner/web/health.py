"""`/healthz`: whether the database and Redis answer, for load balancers and monitors."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from planner.status import health
from planner.web.auth import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    found = health()
    ok = all(state in ("ok", "not configured") for state in found.values())
    response = jsonify(status="ok" if ok else "failing", **found)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ok else 503
