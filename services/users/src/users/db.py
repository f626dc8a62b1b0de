"""``Base`` for the models, engines per database URL, and the ``get_db`` dependency."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from service_kit.database import new_metadata
from users.config import Settings, app_settings

__all__ = ["Base", "get_db", "get_engine", "get_sessionmaker"]


class Base(DeclarativeBase):
    metadata = new_metadata()


@lru_cache
def get_engine(database_url: str) -> Engine:
    """One engine (and pool) per database, created on first use: building the app
    connects to nothing."""
    return create_engine(database_url, pool_pre_ping=True)


@lru_cache
def get_sessionmaker(database_url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(database_url), expire_on_commit=False)


def get_db(settings: Annotated[Settings, Depends(app_settings)]) -> Iterator[Session]:
    """One session per request, on the database of the app's settings; services commit
    what they mean to keep."""
    with get_sessionmaker(settings.database_url)() as session:
        yield session
