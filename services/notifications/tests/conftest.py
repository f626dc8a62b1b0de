"""Root fixtures: the service declared to the toolkit's plugin, anyio, and settings.

The plugin (monorepo-toolkit) turns the ``toolkit_service`` declaration below into
``database_url``, ``db_session``/``async_db_session``, ``app`` and ``client``; ``get_db`` is
an async generator, so ``app`` runs on ``async_db_session``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from notifications.config import get_settings
from notifications.db import Base, get_db
from notifications.main import create_app
from tests import factories
from toolkit.testing import Service

PROVIDER_URL = "https://email-provider.test"
ADMIN_ID = 900


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def toolkit_service() -> Service:
    return Service(
        app_factory=create_app,
        get_db=get_db,
        metadata=Base.metadata,
        alembic_ini="alembic.ini",
        factories=factories,
    )


@pytest.fixture(autouse=True)
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test sees the same settings, whatever the host's environment holds."""
    for name in list(os.environ):
        if name.startswith("NOTIFICATIONS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NOTIFICATIONS_EMAIL_PROVIDER_URL", PROVIDER_URL)
    monkeypatch.setenv("NOTIFICATIONS_ADMIN_USER_IDS", str(ADMIN_ID))
    monkeypatch.setenv("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("NOTIFICATIONS_OUTBOX_MAX_ATTEMPTS", "6")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
