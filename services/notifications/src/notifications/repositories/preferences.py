from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.models import MessageStatus, OutboxMessage, Preference

__all__ = ["PreferenceRepository"]


class PreferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_user(self, user_id: int) -> Preference | None:
        return await self.session.scalar(select(Preference).where(Preference.user_id == user_id))

    async def create(self, user_id: int, values: dict[str, Any]) -> Preference:
        preference = Preference(user_id=user_id, **values)
        self.session.add(preference)
        await self.session.flush()
        return preference

    async def update(self, preference: Preference, values: dict[str, Any]) -> Preference:
        for name, value in values.items():
            setattr(preference, name, value)
        await self.session.flush()
        return preference

    async def list_digest_candidates(self) -> list[Preference]:
        """Users who get digests by email and have at least one pending message."""
        pending = exists().where(
            OutboxMessage.user_id == Preference.user_id,
            OutboxMessage.status == MessageStatus.PENDING,
        )
        statement = (
            select(Preference)
            .where(Preference.digest_enabled, Preference.email_enabled, pending)
            .order_by(Preference.user_id)
        )
        return list(await self.session.scalars(statement))

    async def commit(self) -> None:
        await self.session.commit()
