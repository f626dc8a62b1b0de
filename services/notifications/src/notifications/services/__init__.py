"""Business logic; every service takes its repositories (and clients) in its constructor."""

from notifications.services.digests import DigestService, digest_is_due, render_digest
from notifications.services.dispatch import DispatchService
from notifications.services.notifications import (
    IdempotencyConflict,
    NotificationService,
    payload_hash,
)
from notifications.services.preferences import PreferenceService

__all__ = [
    "DigestService",
    "DispatchService",
    "IdempotencyConflict",
    "NotificationService",
    "PreferenceService",
    "digest_is_due",
    "payload_hash",
    "render_digest",
]
