"""The Alembic migrations (which built this test database) produce exactly the models."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from notifications.db import Base


def test_migrations_match_models(db_session: Session) -> None:
    context = MigrationContext.configure(
        db_session.connection(), opts={"compare_type": True, "compare_server_default": True}
    )

    assert compare_metadata(context, Base.metadata) == []


def test_migrations_are_at_head(db_session: Session) -> None:
    version = db_session.connection().exec_driver_sql("select version_num from alembic_version")

    assert version.scalars().all() == ["0001"]


def test_every_model_table_exists(db_session: Session) -> None:
    tables = set(inspect(db_session.connection()).get_table_names())

    assert tables == {"alembic_version", "digests", "outbox_messages", "preferences"}


def test_downgrade_to_base_and_back(db_session: Session, pytestconfig: pytest.Config) -> None:
    """Every migration can be undone; all of it happens in the test's transaction (rolled back)."""
    config = Config(str(pytestconfig.rootpath / "alembic.ini"))
    connection = db_session.connection()
    config.attributes["connection"] = connection

    command.downgrade(config, "base")
    assert set(inspect(connection).get_table_names()) == {"alembic_version"}
    enums = connection.exec_driver_sql(
        "select typname from pg_type where typname = 'message_status'"
    )
    assert enums.all() == []

    command.upgrade(config, "head")
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert compare_metadata(context, Base.metadata) == []
