"""Root fixtures: the service declaration for the toolkit's plugin, settings, anyio."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import factories
from toolkit.testing import Service
from users.config import get_settings
from users.db import Base, get_db
from users.main import create_app
from users.security import PasswordHasher

TEST_JWT_SECRET = "test-only-secret-0123456789abcdef0123456789"


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
    """Every test sees the same known settings, whatever the host's environment holds."""
    for name in (
        "USERS_JWT_ALGORITHM",
        "USERS_ACCESS_TOKEN_EXPIRE_MINUTES",
        "USERS_REFRESH_TOKEN_EXPIRE_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("USERS_JWT_SECRET", TEST_JWT_SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def password_hasher() -> PasswordHasher:
    """Argon2id with cheap parameters (see factories.FAST_PASSWORD_HASHER)."""
    return factories.FAST_PASSWORD_HASHER
