"""``Base`` for the models, async engines per database URL, and the ``get_db`` dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from notifications.config import Settings, app_settings
from service_kit.database import new_metadata

__all__ = ["Base", "get_db", "get_engine", "get_sessionmaker"]


class Base(DeclarativeBase):
    metadata = new_metadata()


@lru_cache
def get_engine(database_url: str) -> AsyncEngine:
    """One engine (and pool) per database, created on first use: building the app
    connects to nothing."""
    return create_async_engine(database_url, pool_pre_ping=True)


@lru_cache
def get_sessionmaker(database_url: str) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(get_engine(database_url), expire_on_commit=False)


async def get_db(
    settings: Annotated[Settings, Depends(app_settings)],
) -> AsyncIterator[AsyncSession]:
    """One session per request, on the database of the app's settings; whatever it did
    not commit is rolled back on close."""
    async with get_sessionmaker(settings.database_url)() as session:
        yield session
