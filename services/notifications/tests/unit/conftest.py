"""Unit fixtures: repositories and the provider are mocks; no database, no network."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from unittest.mock import AsyncMock, MagicMock

import httpx
import pytest
import respx

from notifications.clients import EmailProvider
from notifications.repositories import DigestRepository, OutboxRepository, PreferenceRepository
from notifications.services import (
    DigestService,
    DispatchService,
    NotificationService,
    PreferenceService,
)
from tests.conftest import PROVIDER_URL


@pytest.fixture
def outbox_repository() -> MagicMock:
    repo = MagicMock(spec=OutboxRepository)
    repo.get_by_key = AsyncMock(return_value=None)
    repo.add = AsyncMock(side_effect=lambda message: message)
    repo.get_for_user = AsyncMock(return_value=None)
    repo.list_for_user = AsyncMock(return_value=([], 0))
    repo.list_dispatchable = AsyncMock(return_value=[])
    repo.list_pending_for_user = AsyncMock(return_value=[])
    repo.commit = AsyncMock()
    return repo


@pytest.fixture
def preference_repository() -> MagicMock:
    repo = MagicMock(spec=PreferenceRepository)
    repo.get_by_user = AsyncMock(return_value=None)
    repo.create = AsyncMock()
    repo.update = AsyncMock()
    repo.list_digest_candidates = AsyncMock(return_value=[])
    repo.commit = AsyncMock()
    return repo


@pytest.fixture
def digest_repository() -> MagicMock:
    repo = MagicMock(spec=DigestRepository)
    repo.last_for_user = AsyncMock(return_value=None)
    repo.add = AsyncMock()
    return repo


@pytest.fixture
def mock_provider() -> MagicMock:
    """An EmailProvider whose ``send`` is an AsyncMock (services' view of the provider)."""
    provider = MagicMock(spec=EmailProvider)
    provider.send = AsyncMock()
    return provider


@pytest.fixture
def notification_service(outbox_repository: MagicMock) -> NotificationService:
    return NotificationService(outbox=outbox_repository)


@pytest.fixture
def preference_service(preference_repository: MagicMock) -> PreferenceService:
    return PreferenceService(preferences=preference_repository)


@pytest.fixture
def dispatch_service(outbox_repository: MagicMock, mock_provider: MagicMock) -> DispatchService:
    return DispatchService(outbox_repository, mock_provider, max_attempts=6, batch_size=50)


@pytest.fixture
def digest_service(
    preference_repository: MagicMock,
    outbox_repository: MagicMock,
    digest_repository: MagicMock,
    mock_provider: MagicMock,
) -> DigestService:
    return DigestService(preference_repository, outbox_repository, digest_repository, mock_provider)


@pytest.fixture
def email_api() -> Iterator[respx.MockRouter]:
    """The provider's HTTP API, mocked with respx; unmatched requests fail the test."""
    with respx.mock(base_url=PROVIDER_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def sleeps() -> list[float]:
    """Backoff delays the provider asked for, instead of really sleeping."""
    return []


@pytest.fixture
async def email_provider(sleeps: list[float]) -> AsyncIterator[EmailProvider]:
    async def record(delay: float) -> None:
        sleeps.append(delay)

    async with httpx.AsyncClient(base_url=PROVIDER_URL, timeout=1.0) as http:
        yield EmailProvider(
            http,
            sender="notifications@example.com",
            max_attempts=3,
            backoff_base=0.5,
            backoff_max=30.0,
            sleep=record,
        )
