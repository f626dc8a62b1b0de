"""get_db outside tests' overrides: a session on the database of the app's settings."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url, text

from users import db
from users.config import Settings


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, database_url: str):
    monkeypatch.delenv("USERS_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    settings = Settings()
    yield settings
    db.get_engine(settings.database_url).dispose()
    db.get_sessionmaker.cache_clear()
    db.get_engine.cache_clear()


def test_get_db_yields_a_session_on_the_configured_database(configured, database_url):
    sessions = db.get_db(configured)
    session = next(sessions)
    try:
        name = session.execute(text("SELECT current_database()")).scalar_one()
        assert name == make_url(database_url).database
        assert session.get_bind().url.drivername == "postgresql+psycopg"
    finally:
        sessions.close()

    assert not session.in_transaction()
