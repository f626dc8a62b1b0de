"""Settings from the environment (prefix ``USERS_``).

``create_app(settings)`` keeps the settings it is given in ``app.state.settings``; every
dependency (the database included) reads them from there through :func:`app_settings`.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Annotated

from fastapi import Request
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service_kit.database import normalize_database_url

__all__ = ["DatabaseSettings", "Settings", "app_settings", "get_settings"]


class DatabaseSettings(BaseSettings):
    """Only what the migrations need, so Alembic runs without the service's secrets."""

    model_config = SettingsConfigDict(env_prefix="USERS_", extra="ignore")

    database_url: Annotated[
        str,
        Field(validation_alias=AliasChoices("USERS_DATABASE_URL", "DATABASE_URL")),
    ] = "postgresql+psycopg://postgres@localhost:5432/users"

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        return normalize_database_url(value)


class Settings(DatabaseSettings):
    jwt_secret: Annotated[SecretStr, Field(min_length=32)]
    jwt_algorithm: str = "HS256"
    access_token_expire_minutes: Annotated[int, Field(gt=0)] = 15
    refresh_token_expire_days: Annotated[int, Field(gt=0)] = 7

    @property
    def access_token_ttl(self) -> timedelta:
        return timedelta(minutes=self.access_token_expire_minutes)

    @property
    def refresh_token_ttl(self) -> timedelta:
        return timedelta(days=self.refresh_token_expire_days)


@lru_cache
def get_settings() -> Settings:
    """The environment's settings, read once per process (``create_app``'s default)."""
    return Settings()  # type: ignore[call-arg]  # jwt_secret comes from the environment


def app_settings(request: Request) -> Settings:
    """The settings the running app was built with."""
    settings: Settings = request.app.state.settings
    return settings
