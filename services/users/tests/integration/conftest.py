"""Integration fixtures: the real app on the test's transactional session, and auth helpers."""

from __future__ import annotations

from collections.abc import Callable

import jwt
import pytest

from tests.factories import FAST_PASSWORD_HASHER, UserFactory
from users.api.deps import get_password_hasher, get_token_service
from users.config import get_settings
from users.models import User
from users.security import TokenService


@pytest.fixture
def app(app):
    """The plugin's app, hashing with cheap Argon2 parameters (see tests/factories.py)."""
    app.dependency_overrides[get_password_hasher] = lambda: FAST_PASSWORD_HASHER
    return app


@pytest.fixture
def tokens() -> TokenService:
    """Tokens exactly as the app issues them under the test settings."""
    return get_token_service(get_settings())


@pytest.fixture
def auth_headers(tokens: TokenService) -> Callable[[User], dict[str, str]]:
    """``auth_headers(user)``: an Authorization header with a fresh access token."""

    def make(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.issue_access(user.id, {})}"}

    return make


@pytest.fixture
def claims_of() -> Callable[[str], dict]:
    """Decode a token the way another service holding the shared secret would."""

    def decode(token: str) -> dict:
        return jwt.decode(token, get_settings().jwt_secret.get_secret_value(), algorithms=["HS256"])

    return decode


@pytest.fixture
def user(db_session) -> User:
    """A stored, active user whose password is factories.DEFAULT_PASSWORD."""
    return UserFactory(email="alice@example.com", full_name="Alice")
