"""get_db outside tests' overrides: a session on the configured database."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url, text

from users import db


@pytest.fixture
def configured_database(monkeypatch: pytest.MonkeyPatch, database_url: str):
    monkeypatch.delenv("USERS_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    db.get_sessionmaker.cache_clear()
    db.get_engine.cache_clear()
    yield database_url
    db.get_engine().dispose()
    db.get_sessionmaker.cache_clear()
    db.get_engine.cache_clear()


def test_get_db_yields_a_session_on_the_configured_database(configured_database):
    sessions = db.get_db()
    session = next(sessions)
    try:
        name = session.execute(text("SELECT current_database()")).scalar_one()
        assert name == make_url(configured_database).database
        assert session.get_bind().url.drivername == "postgresql+psycopg"
    finally:
        sessions.close()

    assert not session.in_transaction()
