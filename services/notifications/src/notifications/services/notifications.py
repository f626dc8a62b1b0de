from __future__ import annotations

import hashlib
import json

from notifications.models import MessageStatus, OutboxMessage
from notifications.repositories import IdempotencyKeyTaken, OutboxRepository
from notifications.schemas import NotificationCreate
from service_kit.errors import Conflict, NotFound

__all__ = ["IdempotencyConflict", "NotificationService", "payload_hash"]


class IdempotencyConflict(Conflict):
    """The idempotency key was already used for a different request."""

    detail = "Idempotency-Key was already used with a different payload"


def payload_hash(sender_id: int, data: NotificationCreate) -> str:
    """What makes two requests "the same": caller, recipient, subject and body."""
    canonical = json.dumps(
        {"sender_id": sender_id, **data.model_dump(mode="json")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class NotificationService:
    def __init__(self, outbox: OutboxRepository) -> None:
        self.outbox = outbox

    async def enqueue(
        self, sender_id: int, data: NotificationCreate, idempotency_key: str
    ) -> tuple[OutboxMessage, bool]:
        """Store the message in the outbox once per key. Returns the message and whether
        this call created it; a key reused with another payload raises
        :class:`IdempotencyConflict`."""
        digest = payload_hash(sender_id, data)
        existing = await self.outbox.get_by_key(idempotency_key)
        if existing is None:
            message = OutboxMessage(
                user_id=data.recipient_id,
                subject=data.subject,
                body=data.body,
                idempotency_key=idempotency_key,
                payload_hash=digest,
                status=MessageStatus.PENDING,
                attempts=0,
            )
            try:
                await self.outbox.add(message)
            except IdempotencyKeyTaken:
                # A concurrent request with the same key won the insert: answer as a replay.
                existing = await self.outbox.get_by_key(idempotency_key)
                if existing is None:  # pragma: no cover - the winner's row cannot vanish
                    raise
            else:
                await self.outbox.commit()
                return message, True
        if existing.payload_hash != digest:
            raise IdempotencyConflict()
        return existing, False

    async def get(self, user_id: int, message_id: int) -> OutboxMessage:
        """One of the user's messages; someone else's is ``NotFound``, like a missing one."""
        message = await self.outbox.get_for_user(message_id, user_id)
        if message is None:
            raise NotFound("notification not found")
        return message

    async def list(
        self, user_id: int, *, limit: int, offset: int, status: MessageStatus | None = None
    ) -> tuple[list[OutboxMessage], int]:
        return await self.outbox.list_for_user(user_id, limit=limit, offset=offset, status=status)
