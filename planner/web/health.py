"""`/healthz`: whether the database and Redis answer, for load balancers and monitors."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify

from planner.status import health
from planner.web.auth import public

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """Anyone may ask, so the answer says only what is failing; the errors themselves (addresses,
    server messages) go to the log and to `planner status`."""
    found = health()
    for name, state in found.items():
        if state not in ("ok", "not configured"):
            log.warning("healthz: %s: %s", name, state)
    said = {
        name: state if state in ("ok", "not configured") else "failing"
        for name, state in found.items()
    }
    ok = all(state != "failing" for state in said.values())
    response = jsonify(status="ok" if ok else "failing", **said)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ok else 503
