"""Settings from the environment (monkeypatched) and the lazily created engine."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from projects import db
from projects.config import Settings, get_settings


@pytest.fixture
def fresh_db_module():
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()
    yield db
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()


def test_settings_read_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROJECTS_DATABASE_URL", "postgresql://app@db/projects")
    monkeypatch.setenv("DATABASE_URL", "postgresql://ignored@db/other")
    monkeypatch.setenv("PROJECTS_JWT_LEEWAY_SECONDS", "5")

    settings = get_settings()

    assert settings.database_url == "postgresql+psycopg://app@db/projects"
    assert settings.jwt_leeway_seconds == 5
    assert get_settings() is settings


def test_plain_database_url_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROJECTS_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://toolkit@127.0.0.1:5999/test")

    assert Settings().database_url == "postgresql+psycopg://toolkit@127.0.0.1:5999/test"


@pytest.mark.parametrize(
    "secret",
    [pytest.param(None, id="missing"), pytest.param("short", id="shorter-than-32-bytes")],
)
def test_signing_key_is_required_and_long_enough(monkeypatch: pytest.MonkeyPatch, secret) -> None:
    if secret is None:
        monkeypatch.delenv("PROJECTS_JWT_SECRET")
    else:
        monkeypatch.setenv("PROJECTS_JWT_SECRET", secret)

    with pytest.raises(ValidationError, match="jwt_secret"):
        Settings()


def test_signing_key_is_not_shown_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROJECTS_JWT_SECRET", "s" * 40)

    assert "s" * 40 not in repr(Settings())


def test_get_db_yields_session_on_the_given_settings_database_without_connecting(
    monkeypatch: pytest.MonkeyPatch, fresh_db_module
) -> None:
    monkeypatch.setenv("PROJECTS_DATABASE_URL", "postgresql://env@env.invalid:5432/other")
    settings = Settings(
        database_url="postgresql://app@db.invalid:5432/projects", jwt_secret="s" * 32
    )
    dependency = fresh_db_module.get_db(settings)

    session = next(dependency)

    assert isinstance(session, Session)
    assert session.get_bind().url.render_as_string() == (
        "postgresql+psycopg://app@db.invalid:5432/projects"
    )
    dependency.close()
    assert fresh_db_module.get_engine(settings.database_url) is session.get_bind()


def test_non_postgres_database_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROJECTS_DATABASE_URL", "sqlite:///x.db")

    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings()
