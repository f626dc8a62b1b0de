from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, String, Table, UniqueConstraint

from service_kit.database import new_metadata, normalize_database_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "postgresql://u:p@db:5432/n", "postgresql+psycopg://u:p@db:5432/n", id="libpq"
        ),
        pytest.param("postgres://u@db/n", "postgresql+psycopg://u@db/n", id="heroku-style"),
        pytest.param("postgresql+psycopg2://u@db/n", "postgresql+psycopg://u@db/n", id="psycopg2"),
        pytest.param("postgresql+psycopg://u@db/n", "postgresql+psycopg://u@db/n", id="psycopg"),
    ],
)
def test_postgresql_urls_are_served_by_psycopg3(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("postgresql+asyncpg://u@db/n", id="other-driver"),
        pytest.param("mysql://u@db/n", id="other-database"),
        pytest.param("sqlite:///x.db", id="sqlite"),
    ],
)
def test_other_databases_and_drivers_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="PostgreSQL URL"):
        normalize_database_url(url)


def test_constraints_get_deterministic_names() -> None:
    metadata = new_metadata()
    table = Table(
        "projects",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("org", Integer),
        Column("slug", String, unique=True),
        UniqueConstraint("org", "slug"),
    )

    names = {constraint.name for constraint in table.constraints}

    assert names == {"pk_projects", "uq_projects_slug", "uq_projects_org_slug"}


def test_each_service_gets_its_own_metadata() -> None:
    assert new_metadata() is not new_metadata()
