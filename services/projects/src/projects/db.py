"""Engine, session factory and the ``get_db`` dependency."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from projects.config import get_settings

__all__ = ["get_db", "get_engine", "get_sessionmaker"]


@lru_cache
def get_engine() -> Engine:
    """Created on first use, so importing the app or building it connects to nothing."""
    return create_engine(get_settings().database_url, pool_pre_ping=True)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def get_db() -> Iterator[Session]:
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.close()
