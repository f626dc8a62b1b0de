"""factory_boy factories; the toolkit's plugin binds them to each test's session."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory
from pwdlib import PasswordHash

from users.models import Membership, Organization, Role, User

DEFAULT_PASSWORD = "factory-password-1"
# Hashed once: Argon2 is slow on purpose, and every factory user shares this password.
DEFAULT_PASSWORD_HASH = PasswordHash.recommended().hash(DEFAULT_PASSWORD)


class UserFactory(SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session = None
        sqlalchemy_session_persistence = "flush"

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    hashed_password = DEFAULT_PASSWORD_HASH
    is_active = True


class OrganizationFactory(SQLAlchemyModelFactory):
    class Meta:
        model = Organization
        sqlalchemy_session = None
        sqlalchemy_session_persistence = "flush"

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class MembershipFactory(SQLAlchemyModelFactory):
    class Meta:
        model = Membership
        sqlalchemy_session = None
        sqlalchemy_session_persistence = "flush"

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.MEMBER
