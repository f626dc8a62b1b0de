"""Data access: one repository per aggregate, each over the request's AsyncSession."""

from notifications.repositories.digests import DigestRepository
from notifications.repositories.outbox import IdempotencyKeyTaken, OutboxRepository
from notifications.repositories.preferences import PreferenceRepository

__all__ = ["DigestRepository", "IdempotencyKeyTaken", "OutboxRepository", "PreferenceRepository"]
