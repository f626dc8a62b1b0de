"""Unit fixtures: services over mocked repositories; no database, no network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import MagicMock

import pytest

from tests.conftest import TEST_JWT_SECRET
from users.models import Membership, Organization, Role, User
from users.repositories import MembershipRepository, OrganizationRepository, UserRepository
from users.security import TokenService
from users.services import AuthService, OrganizationService, UserService


@pytest.fixture
def tokens() -> TokenService:
    return TokenService(
        TEST_JWT_SECRET, access_ttl=timedelta(minutes=15), refresh_ttl=timedelta(days=7)
    )


@pytest.fixture
def user_repository() -> MagicMock:
    repo = MagicMock(spec=UserRepository)
    repo.get.return_value = None
    repo.get_by_email.return_value = None
    repo.add.side_effect = _store_user
    return repo


@pytest.fixture
def membership_repository() -> MagicMock:
    repo = MagicMock(spec=MembershipRepository)
    repo.get.return_value = None
    repo.roles_of.return_value = {}
    repo.members.return_value = []
    repo.count_owners.return_value = 1
    repo.add.side_effect = lambda membership: membership
    return repo


@pytest.fixture
def organization_repository() -> MagicMock:
    repo = MagicMock(spec=OrganizationRepository)
    repo.for_user.return_value = []
    repo.add.side_effect = lambda organization: _with_id(organization, 10)
    return repo


@pytest.fixture
def auth_service(user_repository, membership_repository, password_hasher, tokens) -> AuthService:
    return AuthService(user_repository, membership_repository, password_hasher, tokens)


@pytest.fixture
def user_service(user_repository, password_hasher) -> UserService:
    return UserService(user_repository, password_hasher)


@pytest.fixture
def organization_service(
    organization_repository, membership_repository, user_repository
) -> OrganizationService:
    return OrganizationService(organization_repository, membership_repository, user_repository)


def _store_user(user: User) -> User:
    """What the INSERT gives a new user: an id and the creation time."""
    user.id = 1
    user.created_at = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
    return user


def _with_id(entity, entity_id: int):
    entity.id = entity_id
    return entity


@pytest.fixture
def make_user(password_hasher):
    """Transient (never stored) users; ``password`` is hashed for real."""

    def make(user_id: int = 1, *, password: str = "initial-pass-1", **fields) -> User:
        fields.setdefault("email", f"user{user_id}@example.com")
        fields.setdefault("full_name", f"User {user_id}")
        fields.setdefault("is_active", True)
        return User(id=user_id, hashed_password=password_hasher.hash(password), **fields)

    return make


@pytest.fixture
def make_membership():
    """Transient memberships of ``user`` in an organization (id 10 unless told)."""

    def make(user: User, role: Role, organization_id: int = 10) -> Membership:
        organization = Organization(id=organization_id, name="Acme", slug="acme")
        return Membership(
            user_id=user.id, organization_id=organization_id, role=role, organization=organization
        )

    return make
