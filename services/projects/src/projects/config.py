"""Settings from the environment (prefix ``PROJECTS_``).

``create_app(settings)`` keeps the settings it is given in ``app.state.settings``; every
dependency (the database included) reads them from there through :func:`app_settings`.
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import Request
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service_kit.database import normalize_database_url

__all__ = ["DatabaseSettings", "Settings", "app_settings", "get_settings"]


class DatabaseSettings(BaseSettings):
    """Only what the migrations need, so Alembic runs without the service's secrets."""

    model_config = SettingsConfigDict(env_prefix="PROJECTS_", extra="ignore", populate_by_name=True)

    # PROJECTS_DATABASE_URL wins; a plain DATABASE_URL (set by `toolkit postgres`, nox,
    # most platforms) is accepted too.
    database_url: str = Field(
        default="postgresql+psycopg://localhost/projects",
        validation_alias=AliasChoices("PROJECTS_DATABASE_URL", "DATABASE_URL"),
    )

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        return normalize_database_url(value)


class Settings(DatabaseSettings):
    # The key the users service signs its access tokens with (HS256). RFC 7518 asks
    # for at least as many bytes as the hash output: 32.
    jwt_secret: SecretStr = Field(min_length=32)
    # Clock skew tolerated on `exp` and `iat`, in seconds.
    jwt_leeway_seconds: int = Field(default=0, ge=0, le=300)


@lru_cache
def get_settings() -> Settings:
    """The environment's settings, read once per process (``create_app``'s default)."""
    return Settings()  # type: ignore[call-arg]  # jwt_secret comes from the environment


def app_settings(request: Request) -> Settings:
    """The settings the running app was built with."""
    settings: Settings = request.app.state.settings
    return settings
