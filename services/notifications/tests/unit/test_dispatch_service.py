"""DispatchService: outcome of each delivery on the outbox row and in the counts."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import MagicMock

import pytest
from freezegun import freeze_time

from notifications.clients import (
    DeliveryResult,
    EmailMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from notifications.models import MessageStatus, OutboxMessage
from notifications.schemas import DispatchResult
from notifications.services import DispatchService

pytestmark = pytest.mark.anyio


def pending(message_id: int, attempts: int = 0) -> OutboxMessage:
    return OutboxMessage(
        id=message_id,
        user_id=7,
        subject=f"Subject {message_id}",
        body=f"Body {message_id}",
        idempotency_key=f"key-{message_id}",
        payload_hash="0" * 64,
        status=MessageStatus.PENDING,
        attempts=attempts,
        last_error=None,
    )


async def test_dispatch_sends_message_and_marks_it_sent(
    dispatch_service: DispatchService, outbox_repository: MagicMock, mock_provider: MagicMock
) -> None:
    message = pending(1)
    outbox_repository.list_dispatchable.return_value = [(message, "ada@example.com")]
    mock_provider.send.return_value = DeliveryResult(attempts=2, provider_id="p1")

    with freeze_time("2025-03-01 09:15:00", real_asyncio=True):
        result = await dispatch_service.dispatch()

    assert result == DispatchResult(sent=1, failed=0, retried=0)
    assert message.status is MessageStatus.SENT
    assert message.sent_at == datetime(2025, 3, 1, 9, 15, tzinfo=UTC)
    assert message.attempts == 2
    mock_provider.send.assert_awaited_once_with(
        EmailMessage(
            to="ada@example.com", subject="Subject 1", text="Body 1", idempotency_key="key-1"
        )
    )
    outbox_repository.list_dispatchable.assert_awaited_once_with(50)
    outbox_repository.commit.assert_awaited_once()


async def test_dispatch_marks_provider_refusal_failed_for_good(
    dispatch_service: DispatchService, outbox_repository: MagicMock, mock_provider: MagicMock
) -> None:
    message = pending(1)
    outbox_repository.list_dispatchable.return_value = [(message, "bad@example.com")]
    mock_provider.send.side_effect = PermanentDeliveryError("HTTP 422: invalid address", 1)

    result = await dispatch_service.dispatch()

    assert result == DispatchResult(sent=0, failed=1, retried=0)
    assert message.status is MessageStatus.FAILED
    assert message.last_error == "HTTP 422: invalid address"
    assert message.attempts == 1
    assert message.sent_at is None


async def test_dispatch_leaves_transient_failure_pending_for_retry(
    dispatch_service: DispatchService, outbox_repository: MagicMock, mock_provider: MagicMock
) -> None:
    message = pending(1)
    outbox_repository.list_dispatchable.return_value = [(message, "ada@example.com")]
    mock_provider.send.side_effect = TransientDeliveryError("HTTP 503", 3)

    result = await dispatch_service.dispatch()

    assert result == DispatchResult(sent=0, failed=0, retried=1)
    assert message.status is MessageStatus.PENDING
    assert (message.attempts, message.last_error) == (3, "HTTP 503")


async def test_dispatch_gives_up_when_attempt_budget_is_spent(
    dispatch_service: DispatchService, outbox_repository: MagicMock, mock_provider: MagicMock
) -> None:
    message = pending(1, attempts=3)
    outbox_repository.list_dispatchable.return_value = [(message, "ada@example.com")]
    mock_provider.send.side_effect = TransientDeliveryError("timeout: ReadTimeout", 3)

    result = await dispatch_service.dispatch()

    assert result == DispatchResult(sent=0, failed=1, retried=0)
    assert message.status is MessageStatus.FAILED
    assert message.attempts == 6


async def test_dispatch_counts_each_outcome_in_one_run(
    dispatch_service: DispatchService, outbox_repository: MagicMock, mock_provider: MagicMock
) -> None:
    messages = [pending(1), pending(2), pending(3), pending(4)]
    outbox_repository.list_dispatchable.return_value = [(m, "x@example.com") for m in messages]
    mock_provider.send.side_effect = [
        DeliveryResult(attempts=1, provider_id=None),
        PermanentDeliveryError("HTTP 400", 1),
        TransientDeliveryError("HTTP 500", 3),
        DeliveryResult(attempts=1, provider_id=None),
    ]

    result = await dispatch_service.dispatch()

    assert result == DispatchResult(sent=2, failed=1, retried=1)
    assert [m.status for m in messages] == [
        MessageStatus.SENT,
        MessageStatus.FAILED,
        MessageStatus.PENDING,
        MessageStatus.SENT,
    ]


async def test_dispatch_with_nothing_pending_sends_nothing(
    dispatch_service: DispatchService, mock_provider: MagicMock
) -> None:
    result = await dispatch_service.dispatch()

    assert result == DispatchResult()
    mock_provider.send.assert_not_awaited()


async def test_dispatch_success_clears_previous_error(
    dispatch_service: DispatchService, outbox_repository: MagicMock, mock_provider: MagicMock
) -> None:
    message = pending(1, attempts=3)
    message.last_error = "HTTP 503"
    outbox_repository.list_dispatchable.return_value = [(message, "ada@example.com")]
    mock_provider.send.return_value = DeliveryResult(attempts=1, provider_id=None)

    await dispatch_service.dispatch()

    assert (message.status, message.last_error, message.attempts) == (MessageStatus.SENT, None, 4)
