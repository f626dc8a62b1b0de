"""The Alembic migrations (which built this test database) match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from projects.db import Base


def test_migrations_produce_the_models_schema(db_session: Session) -> None:
    assert (
        compare_metadata(MigrationContext.configure(db_session.connection()), Base.metadata) == []
    )


def test_migrations_match_column_types_and_server_defaults_too(db_session: Session) -> None:
    context = MigrationContext.configure(
        db_session.connection(), opts={"compare_type": True, "compare_server_default": True}
    )

    assert compare_metadata(context, Base.metadata) == []


def test_migrations_are_at_head_revision(db_session: Session) -> None:
    version = db_session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()

    assert version == "0001"


def test_slug_uniqueness_is_a_database_constraint(db_session: Session) -> None:
    constraints = inspect(db_session.connection()).get_unique_constraints("projects")

    assert [(c["name"], c["column_names"]) for c in constraints] == [
        ("uq_projects_organization_id_slug", ["organization_id", "slug"])
    ]
