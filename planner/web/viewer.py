"""Who is looking: the signed-in user, or the local owner in single-user mode."""

from __future__ import annotations

from sqlalchemy.orm import Session

from planner.models import User
from planner.web.auth import viewer as signed_in


def viewer(session: Session) -> User:
    """The user whose data the request may see and change (`session` is the request's own)."""
    user = signed_in()
    return user if user in session else session.merge(user)
