"""factory_boy factories; the toolkit's plugin binds them to each test's session."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from users.models import Membership, Organization, Role, User
from users.security import PasswordHasher

# Argon2id with the cheapest parameters: the algorithm under test is the real one, but
# each hash takes about a millisecond instead of the production setting's ~170 ms.
# The app under test gets it through its get_password_hasher dependency.
FAST_PASSWORD_HASHER = PasswordHasher(
    PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
)
DEFAULT_PASSWORD = "factory-password-1"
DEFAULT_PASSWORD_HASH = FAST_PASSWORD_HASHER.hash(DEFAULT_PASSWORD)


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
