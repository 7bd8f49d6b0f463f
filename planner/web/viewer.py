"""Who is looking: in single-user mode (the embedded default) always the local owner."""

from __future__ import annotations

from sqlalchemy.orm import Session

from planner.models import User
from planner.sources import owner


def viewer(session: Session) -> User:
    user = owner(session)
    session.commit()
    return user
