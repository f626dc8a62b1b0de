from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from notifications.api.deps import CallerId, get_notification_service
from notifications.api.errors import errors
from notifications.models import MessageStatus
from notifications.schemas import (
    MAX_PAGE_SIZE,
    MESSAGE_ID_MAX,
    NotificationCreate,
    NotificationOut,
    NotificationPage,
)
from notifications.services import NotificationService

router = APIRouter(prefix="/notifications", tags=["notifications"])

Service = Annotated[NotificationService, Depends(get_notification_service)]
REPLAY_HEADER = "Idempotent-Replayed"


@router.post(
    "",
    response_model=NotificationOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 401, 409),
)
async def create_notification(
    data: NotificationCreate,
    caller_id: CallerId,
    service: Service,
    response: Response,
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="Unique per message; a retry with the same key and payload is a no-op.",
        ),
    ],
) -> NotificationOut:
    """Put a message for ``recipient_id`` into the outbox.

    The first request with a key answers 201; repeating it with the same payload answers
    201 again with the same message (and ``Idempotent-Replayed: true``), showing its
    current status; the same key with another payload is a 409.
    """
    message, created = await service.enqueue(caller_id, data, idempotency_key)
    response.headers[REPLAY_HEADER] = "false" if created else "true"
    return NotificationOut.model_validate(message)


@router.get("", response_model=NotificationPage, responses=errors(401))
async def list_notifications(
    caller_id: CallerId,
    service: Service,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    offset: Annotated[int, Query(ge=0, le=MESSAGE_ID_MAX)] = 0,
    status_filter: Annotated[MessageStatus | None, Query(alias="status")] = None,
) -> NotificationPage:
    """The caller's notifications, newest first."""
    items, total = await service.list(caller_id, limit=limit, offset=offset, status=status_filter)
    return NotificationPage(
        items=[NotificationOut.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{notification_id}", response_model=NotificationOut, responses=errors(401, 404))
async def get_notification(
    notification_id: Annotated[int, Path(ge=1, le=MESSAGE_ID_MAX)],
    caller_id: CallerId,
    service: Service,
) -> NotificationOut:
    """One of the caller's notifications; someone else's is a 404, like a missing one."""
    return NotificationOut.model_validate(await service.get(caller_id, notification_id))
