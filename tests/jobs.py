"""Job functions for tests that run a real worker (`worker.py` runs from the project's root,
so it imports them as `tests.jobs`)."""

from __future__ import annotations

import time


def spin(seconds: float) -> float:
    """Busy for `seconds` in short sleeps: a job that a timer can stop (its exception is raised
    between two of them, never inside one)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.01)
    return seconds
