"""The external HTTP email provider: ``POST /v1/messages`` with retries.

Every request carries the caller's idempotency key, so a retry after a timeout (when the
first request may well have been delivered) never sends the email twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = [
    "DeliveryError",
    "DeliveryResult",
    "EmailMessage",
    "EmailProvider",
    "PermanentDeliveryError",
    "Sleep",
    "TransientDeliveryError",
    "backoff_delays",
]

Sleep = Callable[[float], Awaitable[Any]]
MESSAGES_PATH = "/v1/messages"


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    idempotency_key: str


@dataclass(frozen=True)
class DeliveryResult:
    attempts: int
    provider_id: str | None


class DeliveryError(Exception):
    """Delivery failed; ``attempts`` HTTP requests were made."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class PermanentDeliveryError(DeliveryError):
    """The provider refused the message (4xx): retrying cannot help."""


class TransientDeliveryError(DeliveryError):
    """5xx, timeout or network error on every attempt: a later run may succeed."""


def backoff_delays(base: float, cap: float) -> Iterator[float]:
    """``base, 2*base, 4*base, ...``, each at most ``cap`` seconds."""
    delay = base
    while True:
        yield min(delay, cap)
        delay *= 2


def _error_detail(response: httpx.Response) -> str:
    text = response.text.strip()
    return f"HTTP {response.status_code}" + (f": {text[:200]}" if text else "")


class EmailProvider:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        sender: str,
        max_attempts: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.http = http
        self.sender = sender
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.sleep = sleep

    async def send(self, message: EmailMessage) -> DeliveryResult:
        """Send ``message``; retry 5xx and timeouts with exponential backoff up to
        ``max_attempts`` requests. Raises :class:`PermanentDeliveryError` on 4xx,
        :class:`TransientDeliveryError` when every attempt failed transiently."""
        payload = {
            "from": self.sender,
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
        }
        headers = {"Idempotency-Key": message.idempotency_key}
        delays = backoff_delays(self.backoff_base, self.backoff_max)
        reason = ""
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                await self.sleep(next(delays))
            try:
                response = await self.http.post(MESSAGES_PATH, json=payload, headers=headers)
            except httpx.TimeoutException as error:
                reason = f"timeout: {type(error).__name__}"
                continue
            except httpx.TransportError as error:
                reason = f"network error: {type(error).__name__}: {error}"
                continue
            if response.is_success:
                return DeliveryResult(attempts=attempt, provider_id=_provider_id(response))
            if response.status_code >= 500:
                reason = _error_detail(response)
                continue
            raise PermanentDeliveryError(_error_detail(response), attempts=attempt)
        raise TransientDeliveryError(reason, attempts=self.max_attempts)


def _provider_id(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    identifier = body.get("id") if isinstance(body, dict) else None
    return str(identifier) if identifier is not None else None
