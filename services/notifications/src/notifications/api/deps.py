"""FastAPI dependencies: the caller's identity, repositories, services, the provider."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import Depends, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.clients import EmailProvider
from notifications.clients.email import Sleep
from notifications.config import Settings, app_settings
from notifications.db import get_db
from notifications.repositories import DigestRepository, OutboxRepository, PreferenceRepository
from notifications.services import (
    DigestService,
    DispatchService,
    NotificationService,
    PreferenceService,
)
from service_kit.errors import Forbidden, Unauthorized
from service_kit.ids import MAX_ID

__all__ = [
    "AdminId",
    "CallerId",
    "SessionDep",
    "SettingsDep",
    "get_backoff_sleep",
    "get_caller_id",
    "get_email_provider",
    "require_admin",
]

USER_HEADER = "X-User-Id"

# Set by the API gateway after it has authenticated the caller; never by end users.
_user_header = APIKeyHeader(
    name=USER_HEADER,
    scheme_name="GatewayUserId",
    description="Id of the authenticated caller, set by the API gateway.",
    auto_error=False,
)

SessionDep = Annotated[AsyncSession, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(app_settings)]


def get_caller_id(raw: Annotated[str | None, Security(_user_header)]) -> int:
    """The caller's user id from ``X-User-Id``; ``Unauthorized`` when missing or not an id."""
    if raw is None or not raw.strip():
        raise Unauthorized(f"missing {USER_HEADER} header")
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise Unauthorized(f"invalid {USER_HEADER} header")
    user_id = int(text)
    if not 1 <= user_id <= MAX_ID:
        raise Unauthorized(f"invalid {USER_HEADER} header")
    return user_id


CallerId = Annotated[int, Depends(get_caller_id)]


def require_admin(caller_id: CallerId, settings: SettingsDep) -> int:
    """Operational endpoints: only callers listed in ``NOTIFICATIONS_ADMIN_USER_IDS``."""
    if caller_id not in settings.admin_user_ids:
        raise Forbidden("admin rights required")
    return caller_id


AdminId = Annotated[int, Depends(require_admin)]


def get_backoff_sleep() -> Sleep:
    """How the provider waits between attempts; tests override it to not really sleep."""
    return asyncio.sleep


async def get_email_provider(
    settings: SettingsDep, sleep: Annotated[Sleep, Depends(get_backoff_sleep)]
) -> AsyncIterator[EmailProvider]:
    headers = {}
    api_key = settings.email_provider_api_key.get_secret_value()
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    async with httpx.AsyncClient(
        base_url=settings.email_provider_url,
        timeout=settings.email_provider_timeout,
        headers=headers,
    ) as http:
        yield EmailProvider(
            http,
            sender=settings.email_sender,
            max_attempts=settings.email_max_attempts,
            backoff_base=settings.email_backoff_base,
            backoff_max=settings.email_backoff_max,
            sleep=sleep,
        )


ProviderDep = Annotated[EmailProvider, Depends(get_email_provider)]


def get_preference_service(session: SessionDep) -> PreferenceService:
    return PreferenceService(PreferenceRepository(session))


def get_notification_service(session: SessionDep) -> NotificationService:
    return NotificationService(OutboxRepository(session))


def get_dispatch_service(
    session: SessionDep, provider: ProviderDep, settings: SettingsDep
) -> DispatchService:
    return DispatchService(
        OutboxRepository(session),
        provider,
        max_attempts=settings.outbox_max_attempts,
        batch_size=settings.dispatch_batch_size,
    )


def get_digest_service(session: SessionDep, provider: ProviderDep) -> DigestService:
    return DigestService(
        PreferenceRepository(session),
        OutboxRepository(session),
        DigestRepository(session),
        provider,
    )
