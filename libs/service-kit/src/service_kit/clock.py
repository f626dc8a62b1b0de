"""The one place services read the wall clock.

Services take a ``clock`` (default :func:`utcnow`) in their constructors; tests pass a
fixed one, or freeze this one with freezegun.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "utcnow"]

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (what ``timestamptz`` columns hold)."""
    return datetime.now(UTC)
