"""The database schema: built by the migrations, equal to the models, enforcing the rules."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from users.db import Base
from users.models import Membership, Role


def test_migrations_produce_exactly_the_models_schema(db_session):
    context = MigrationContext.configure(db_session.connection(), opts={"compare_type": True})

    assert compare_metadata(context, Base.metadata) == []


def test_migrations_are_at_head(db_session):
    version = db_session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()

    assert version == "0001"


@pytest.mark.parametrize(
    "make_duplicate",
    [
        pytest.param(lambda: UserFactory(email="dup@example.com"), id="user-email"),
        pytest.param(lambda: OrganizationFactory(slug="dup"), id="organization-slug"),
    ],
)
def test_unique_columns(db_session, make_duplicate):
    make_duplicate()

    with pytest.raises(IntegrityError):
        make_duplicate()


def test_one_membership_per_user_and_organization(db_session):
    membership = MembershipFactory(role=Role.MEMBER)

    with pytest.raises(IntegrityError, match="pk_memberships"):
        db_session.execute(
            insert(Membership).values(
                user_id=membership.user_id,
                organization_id=membership.organization_id,
                role=Role.ADMIN,
            )
        )


def test_role_column_accepts_only_known_roles(db_session):
    membership = MembershipFactory()

    with pytest.raises(IntegrityError, match="ck_memberships_role"):
        db_session.execute(
            text("UPDATE memberships SET role = 'superuser' WHERE user_id = :user"),
            {"user": membership.user_id},
        )


def test_new_users_are_active_with_a_creation_time(db_session):
    user = UserFactory(is_active=None)  # let the server default decide
    db_session.expire(user)

    assert user.is_active is True
    assert user.created_at.tzinfo is not None


def test_deleting_a_user_or_organization_deletes_memberships(db_session):
    first, second = MembershipFactory(), MembershipFactory()

    db_session.delete(first.user)
    db_session.delete(second.organization)
    db_session.flush()

    assert db_session.scalars(select(Membership)).all() == []
