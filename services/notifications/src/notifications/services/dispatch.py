from __future__ import annotations

from notifications.clients import (
    EmailMessage,
    EmailProvider,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from notifications.models import MessageStatus, OutboxMessage
from notifications.repositories import OutboxRepository
from notifications.schemas import DispatchResult
from service_kit.clock import Clock, utcnow

__all__ = ["DispatchService"]


class DispatchService:
    """Sends pending outbox messages one by one through the email provider.

    A 4xx from the provider fails the message for good; 5xx and timeouts are retried
    by the provider client, and when every attempt failed the message stays pending
    ("retried" by the next run) until it has used ``max_attempts`` in total.
    """

    def __init__(
        self,
        outbox: OutboxRepository,
        provider: EmailProvider,
        *,
        max_attempts: int,
        batch_size: int,
        clock: Clock = utcnow,
    ) -> None:
        self.outbox = outbox
        self.provider = provider
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.clock = clock

    async def dispatch(self) -> DispatchResult:
        result = DispatchResult()
        for message, address in await self.outbox.list_dispatchable(self.batch_size):
            outcome = await self._deliver(message, address)
            setattr(result, outcome, getattr(result, outcome) + 1)
        await self.outbox.commit()
        return result

    async def _deliver(self, message: OutboxMessage, address: str) -> str:
        email = EmailMessage(
            to=address,
            subject=message.subject,
            text=message.body,
            idempotency_key=message.idempotency_key,
        )
        try:
            delivery = await self.provider.send(email)
        except PermanentDeliveryError as error:
            message.attempts += error.attempts
            message.last_error = error.reason
            message.status = MessageStatus.FAILED
            return "failed"
        except TransientDeliveryError as error:
            message.attempts += error.attempts
            message.last_error = error.reason
            if message.attempts >= self.max_attempts:
                message.status = MessageStatus.FAILED
                return "failed"
            return "retried"
        message.attempts += delivery.attempts
        message.last_error = None
        message.status = MessageStatus.SENT
        message.sent_at = self.clock()
        return "sent"
