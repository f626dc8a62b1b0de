from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.models import Digest

__all__ = ["DigestRepository"]


class DigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def last_for_user(self, user_id: int) -> Digest | None:
        return await self.session.scalar(
            select(Digest)
            .where(Digest.user_id == user_id)
            .order_by(Digest.sent_at.desc(), Digest.id.desc())
            .limit(1)
        )

    async def add(self, user_id: int, sent_at: datetime, message_count: int) -> Digest:
        digest = Digest(user_id=user_id, sent_at=sent_at, message_count=message_count)
        self.session.add(digest)
        await self.session.flush()
        return digest
