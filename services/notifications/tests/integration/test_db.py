"""The production ``get_db``: sessions on the database of the app's settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.config import Settings
from notifications.db import get_db, get_engine, get_sessionmaker

pytestmark = pytest.mark.anyio


@pytest.fixture
async def configured(monkeypatch: pytest.MonkeyPatch, database_url: str) -> AsyncIterator[Settings]:
    # the plugin's URL, in the plain form a deployment would set
    monkeypatch.setenv(
        "DATABASE_URL", database_url.replace("postgresql+psycopg://", "postgresql://")
    )
    settings = Settings()
    yield settings
    await get_engine(settings.database_url).dispose()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()


async def test_get_db_yields_async_session_on_configured_database(
    configured: Settings, database_url: str
) -> None:
    sessions = get_db(configured)
    session = await anext(sessions)
    try:
        assert isinstance(session, AsyncSession)
        name = await session.scalar(text("select current_database()"))
        assert database_url.endswith(f"/{name}")
        assert get_engine(configured.database_url).url.drivername == "postgresql+psycopg"
    finally:
        await sessions.aclose()
