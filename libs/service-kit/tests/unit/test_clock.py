from __future__ import annotations

from datetime import UTC, datetime

from freezegun import freeze_time

from service_kit.clock import utcnow


def test_utcnow_is_timezone_aware_utc() -> None:
    assert utcnow().tzinfo is UTC


def test_utcnow_follows_a_frozen_clock() -> None:
    with freeze_time("2025-01-15 10:00:00"):
        assert utcnow() == datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
