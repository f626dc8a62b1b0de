"""Settings from the environment (prefix ``NOTIFICATIONS_``).

``create_app(settings)`` keeps the settings it is given in ``app.state.settings``; every
dependency (the database included) reads them from there through :func:`app_settings`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Request
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service_kit.database import normalize_database_url

__all__ = ["DatabaseSettings", "Settings", "app_settings", "get_settings"]


class DatabaseSettings(BaseSettings):
    """Only what the migrations need, so Alembic runs without the service's secrets."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    database_url: str = Field(
        default="postgresql+psycopg://localhost/notifications",
        validation_alias=AliasChoices("NOTIFICATIONS_DATABASE_URL", "DATABASE_URL"),
    )

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        return normalize_database_url(value)


class Settings(DatabaseSettings):
    # Callers allowed to run the operational endpoints (dispatch, digests).
    # ``NOTIFICATIONS_ADMIN_USER_IDS="1,2"`` or ``"[1, 2]"``.
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()

    email_provider_url: str = "https://email-provider.invalid"
    email_provider_api_key: SecretStr = SecretStr("")
    email_provider_timeout: float = Field(default=5.0, gt=0)
    email_sender: str = "notifications@example.com"
    # HTTP attempts per message per dispatch (1 = no retry), and the backoff between them.
    email_max_attempts: int = Field(default=3, ge=1, le=10)
    email_backoff_base: float = Field(default=0.5, ge=0)
    email_backoff_max: float = Field(default=30.0, ge=0)

    # A message that has used this many HTTP attempts in total is given up (status failed).
    outbox_max_attempts: int = Field(default=9, ge=1)
    dispatch_batch_size: int = Field(default=100, ge=1, le=1000)

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _id_list(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part for part in (piece.strip() for piece in text.split(",")) if part]


@lru_cache
def get_settings() -> Settings:
    """The environment's settings, read once per process (``create_app``'s default)."""
    return Settings()


def app_settings(request: Request) -> Settings:
    """The settings the running app was built with."""
    settings: Settings = request.app.state.settings
    return settings
