"""Operational endpoints, called by a scheduler with an admin identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from notifications.api.deps import AdminId, get_digest_service, get_dispatch_service
from notifications.api.errors import errors
from notifications.schemas import DigestRunResult, DispatchResult
from notifications.services import DigestService, DispatchService

router = APIRouter(tags=["operations"])


@router.post("/outbox/dispatch", response_model=DispatchResult, responses=errors(401, 403))
async def dispatch_outbox(
    _admin: AdminId, service: Annotated[DispatchService, Depends(get_dispatch_service)]
) -> DispatchResult:
    """Send pending outbox messages through the email provider.

    ``sent``: delivered; ``failed``: refused by the provider (4xx) or out of attempts;
    ``retried``: a 5xx or timeout on every attempt, left pending for the next run.
    """
    return await service.dispatch()


@router.post("/digests/run", response_model=DigestRunResult, responses=errors(401, 403))
async def run_digests(
    _admin: AdminId, service: Annotated[DigestService, Depends(get_digest_service)]
) -> DigestRunResult:
    """Send the daily digest to users whose digest hour (in their time zone) is now and
    who have pending notifications; at most one digest per user and local day."""
    return await service.run()
