"""The settings given to ``create_app`` are the ones the app runs on, database included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient

from notifications import db
from notifications.config import Settings
from notifications.main import create_app
from tests.integration.conftest import auth

pytestmark = pytest.mark.anyio

# Nothing listens on port 1: a request that reached this database would fail.
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nothing"


@pytest.fixture
async def app_on_test_database(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AsyncClient]:
    """An app built with explicit settings naming the test database, while the
    environment names a database that does not exist."""
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", UNREACHABLE)
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    settings = Settings(database_url=database_url)
    app = create_app(settings)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client
    await db.get_engine(settings.database_url).dispose()
    db.get_sessionmaker.cache_clear()
    db.get_engine.cache_clear()


async def test_requests_use_the_database_of_the_settings_given_to_create_app(
    app_on_test_database: AsyncClient,
) -> None:
    response = await app_on_test_database.get("/api/v1/preferences", headers=auth(987654))

    # The lookup ran (on the test database) and found nothing for this user.
    assert (response.status_code, response.json()) == (404, {"detail": "no preferences set"})
