"""The production ``get_db``: sessions from the engine that the settings configure."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.db import get_db, get_engine, get_sessionmaker

pytestmark = pytest.mark.anyio


@pytest.fixture
async def configured_db(monkeypatch: pytest.MonkeyPatch, database_url: str) -> AsyncIterator[None]:
    # the plugin's URL, in the plain form a deployment would set
    monkeypatch.setenv(
        "DATABASE_URL", database_url.replace("postgresql+psycopg://", "postgresql://")
    )
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
    yield
    await get_engine().dispose()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()


async def test_get_db_yields_async_session_on_configured_database(
    configured_db: None, database_url: str
) -> None:
    sessions = get_db()
    session = await anext(sessions)
    try:
        assert isinstance(session, AsyncSession)
        name = await session.scalar(text("select current_database()"))
        assert database_url.endswith(f"/{name}")
        assert get_engine().url.drivername == "postgresql+psycopg"
    finally:
        await sessions.aclose()
