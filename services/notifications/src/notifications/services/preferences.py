from __future__ import annotations

from notifications.models import Preference
from notifications.repositories import PreferenceRepository
from notifications.schemas import PreferenceIn
from service_kit.errors import NotFound

__all__ = ["PreferenceService"]


class PreferenceService:
    def __init__(self, preferences: PreferenceRepository) -> None:
        self.preferences = preferences

    async def get(self, user_id: int) -> Preference:
        preference = await self.preferences.get_by_user(user_id)
        if preference is None:
            raise NotFound("no preferences set")
        return preference

    async def put(self, user_id: int, data: PreferenceIn) -> tuple[Preference, bool]:
        """Replace the user's preferences; returns them and whether they were created."""
        values = data.model_dump()
        existing = await self.preferences.get_by_user(user_id)
        if existing is None:
            preference = await self.preferences.create(user_id, values)
            created = True
        else:
            preference = await self.preferences.update(existing, values)
            created = False
        await self.preferences.commit()
        return preference, created
