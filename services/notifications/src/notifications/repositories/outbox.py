from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.models import MessageStatus, OutboxMessage, Preference

__all__ = ["IDEMPOTENCY_CONSTRAINT", "IdempotencyKeyTaken", "OutboxRepository"]

IDEMPOTENCY_CONSTRAINT = "uq_outbox_messages_idempotency_key"


class IdempotencyKeyTaken(Exception):
    """Another request stored a message with this idempotency key first."""


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_key(self, idempotency_key: str) -> OutboxMessage | None:
        return await self.session.scalar(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
        )

    async def add(self, message: OutboxMessage) -> OutboxMessage:
        """Insert ``message``; a concurrent insert with the same key raises
        :class:`IdempotencyKeyTaken` and leaves the session usable."""
        try:
            async with self.session.begin_nested():
                self.session.add(message)
        except IntegrityError as error:
            constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
            if constraint != IDEMPOTENCY_CONSTRAINT:
                raise
            raise IdempotencyKeyTaken(message.idempotency_key) from error
        return message

    async def get_for_user(self, message_id: int, user_id: int) -> OutboxMessage | None:
        return await self.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.id == message_id, OutboxMessage.user_id == user_id
            )
        )

    async def list_for_user(
        self, user_id: int, *, limit: int, offset: int, status: MessageStatus | None = None
    ) -> tuple[list[OutboxMessage], int]:
        condition = [OutboxMessage.user_id == user_id]
        if status is not None:
            condition.append(OutboxMessage.status == status)
        total = await self.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(*condition)
        )
        items = await self.session.scalars(
            select(OutboxMessage)
            .where(*condition)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(items), int(total or 0)

    async def list_dispatchable(self, limit: int) -> list[tuple[OutboxMessage, str]]:
        """Pending messages to send one by one, with the address to send them to: their
        recipient has email on and digests off. Rows are locked (others skip them) until
        the transaction ends, so two dispatchers never pick the same message."""
        statement = (
            select(OutboxMessage, Preference.email)
            .join(Preference, Preference.user_id == OutboxMessage.user_id)
            .where(
                OutboxMessage.status == MessageStatus.PENDING,
                Preference.email_enabled,
                Preference.digest_enabled.is_(False),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(of=OutboxMessage, skip_locked=True)
        )
        rows = await self.session.execute(statement)
        return [(message, email) for message, email in rows.all()]

    async def list_pending_for_user(self, user_id: int, until: datetime) -> list[OutboxMessage]:
        statement = (
            select(OutboxMessage)
            .where(
                OutboxMessage.user_id == user_id,
                OutboxMessage.status == MessageStatus.PENDING,
                OutboxMessage.created_at <= until,
            )
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .with_for_update(skip_locked=True)
        )
        return list(await self.session.scalars(statement))

    async def commit(self) -> None:
        await self.session.commit()
