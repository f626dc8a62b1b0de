"""Integration fixtures: the real app over the real (transactional) PostgreSQL, callers'
identities as the gateway would send them, and the email provider mocked with respx."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import respx

from notifications.api.deps import get_backoff_sleep
from tests.conftest import ADMIN_ID, PROVIDER_URL

USER_ID = 101
OTHER_USER_ID = 202


def auth(user_id: int) -> dict[str, str]:
    """The headers the API gateway adds for an authenticated caller."""
    return {"X-User-Id": str(user_id)}


@pytest.fixture
def user_headers() -> dict[str, str]:
    return auth(USER_ID)


@pytest.fixture
def other_user_headers() -> dict[str, str]:
    return auth(OTHER_USER_ID)


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return auth(ADMIN_ID)


@pytest.fixture(autouse=True)
def email_api() -> Iterator[respx.MockRouter]:
    """The email provider's API; nothing leaves the process (unmatched calls fail)."""
    with respx.mock(base_url=PROVIDER_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def backoff_sleeps(app: Any) -> list[float]:
    """Delays the provider client waited between attempts, recorded instead of slept."""
    delays: list[float] = []

    async def record(delay: float) -> None:
        delays.append(delay)

    app.dependency_overrides[get_backoff_sleep] = lambda: record
    return delays


@pytest.fixture
def notification_payload() -> Callable[..., dict[str, Any]]:
    def build(**changes: Any) -> dict[str, Any]:
        return {
            "recipient_id": USER_ID,
            "subject": "Build finished",
            "body": "All green.",
            **changes,
        }

    return build
