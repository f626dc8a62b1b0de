"""Clients of external systems."""

from notifications.clients.email import (
    DeliveryError,
    DeliveryResult,
    EmailMessage,
    EmailProvider,
    PermanentDeliveryError,
    TransientDeliveryError,
    backoff_delays,
)

__all__ = [
    "DeliveryError",
    "DeliveryResult",
    "EmailMessage",
    "EmailProvider",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "backoff_delays",
]
