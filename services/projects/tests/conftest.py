"""Root fixtures: the service's declaration for the toolkit's plugin, anyio, settings.

The plugin (monorepo-toolkit) provides postgres_server, database_url, engine,
db_session, async_engine, async_db_session, app and client from this declaration.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projects.config import get_settings
from projects.db import Base, get_db
from projects.main import create_app
from tests import factories
from tests.tokens import TEST_SECRET
from toolkit.testing import Service


@pytest.fixture(scope="session")
def toolkit_service() -> Service:
    return Service(
        app_factory=create_app,
        get_db=get_db,
        metadata=Base.metadata,
        alembic_ini="alembic.ini",
        factories=factories,
    )


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test sees the same known signing key, whatever the host's environment."""
    monkeypatch.setenv("PROJECTS_JWT_SECRET", TEST_SECRET)
    monkeypatch.delenv("PROJECTS_JWT_LEEWAY_SECONDS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
