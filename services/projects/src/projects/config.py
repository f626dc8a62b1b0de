"""Settings from the environment (prefix ``PROJECTS_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "normalise_database_url"]

_DRIVER_PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg2://")


def normalise_database_url(url: str) -> str:
    """``postgresql://``-style URLs (libpq's, the toolkit's) as SQLAlchemy URLs on psycopg 3."""
    for prefix in _DRIVER_PREFIXES:
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("postgresql+psycopg://"):
        return url
    raise ValueError("must be a PostgreSQL URL (postgresql:// or postgresql+psycopg://)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROJECTS_", extra="ignore", populate_by_name=True)

    # PROJECTS_DATABASE_URL wins; a plain DATABASE_URL (set by `toolkit postgres`, nox,
    # most platforms) is accepted too.
    database_url: str = Field(
        default="postgresql+psycopg://localhost/projects",
        validation_alias=AliasChoices("PROJECTS_DATABASE_URL", "DATABASE_URL"),
    )
    # The key the users service signs its access tokens with (HS256). RFC 7518 asks
    # for at least as many bytes as the hash output: 32.
    jwt_secret: SecretStr = Field(min_length=32)
    # Clock skew tolerated on `exp` and `iat`, in seconds.
    jwt_leeway_seconds: int = Field(default=0, ge=0, le=300)

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        return normalise_database_url(value)


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # jwt_secret comes from the environment
