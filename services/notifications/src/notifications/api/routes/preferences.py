from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from notifications.api.deps import CallerId, get_preference_service
from notifications.api.errors import errors
from notifications.schemas import PreferenceIn, PreferenceOut
from notifications.services import PreferenceService

router = APIRouter(prefix="/preferences", tags=["preferences"])

Service = Annotated[PreferenceService, Depends(get_preference_service)]


@router.get("", response_model=PreferenceOut, responses=errors(401, 404))
async def get_preferences(caller_id: CallerId, service: Service) -> PreferenceOut:
    """The caller's notification preferences."""
    return PreferenceOut.model_validate(await service.get(caller_id))


@router.put(
    "",
    response_model=PreferenceOut,
    responses={201: {"model": PreferenceOut, "description": "Created"}, **errors(400, 401)},
)
async def put_preferences(
    data: PreferenceIn, caller_id: CallerId, service: Service, response: Response
) -> PreferenceOut:
    """Replace the caller's preferences (200), creating them on first use (201)."""
    preference, created = await service.put(caller_id, data)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return PreferenceOut.model_validate(preference)
