"""NotificationService: idempotent enqueueing into the outbox (repository mocked)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from notifications.models import MessageStatus, OutboxMessage
from notifications.repositories import IdempotencyKeyTaken
from notifications.schemas import NotificationCreate
from notifications.services import IdempotencyConflict, NotificationService, payload_hash

pytestmark = pytest.mark.anyio

DATA = NotificationCreate(recipient_id=7, subject="Build finished", body="All green.")


def stored(sender_id: int, data: NotificationCreate, key: str = "k1") -> OutboxMessage:
    return OutboxMessage(
        id=41,
        user_id=data.recipient_id,
        subject=data.subject,
        body=data.body,
        idempotency_key=key,
        payload_hash=payload_hash(sender_id, data),
        status=MessageStatus.PENDING,
        attempts=0,
    )


async def test_enqueue_new_key_stores_pending_message(
    notification_service: NotificationService, outbox_repository: MagicMock
) -> None:
    message, created = await notification_service.enqueue(1, DATA, "k1")

    assert created is True
    assert (message.user_id, message.subject, message.body) == (7, "Build finished", "All green.")
    assert message.status is MessageStatus.PENDING
    assert message.idempotency_key == "k1"
    assert message.payload_hash == payload_hash(1, DATA)
    outbox_repository.add.assert_awaited_once_with(message)
    outbox_repository.commit.assert_awaited_once()


async def test_enqueue_same_key_same_payload_replays_original(
    notification_service: NotificationService, outbox_repository: MagicMock
) -> None:
    original = stored(1, DATA)
    outbox_repository.get_by_key.return_value = original

    message, created = await notification_service.enqueue(1, DATA, "k1")

    assert message is original
    assert created is False
    outbox_repository.add.assert_not_awaited()
    outbox_repository.commit.assert_not_awaited()


@pytest.mark.parametrize(
    ("sender_id", "data"),
    [
        pytest.param(1, DATA.model_copy(update={"subject": "Other"}), id="other-subject"),
        pytest.param(1, DATA.model_copy(update={"body": "Other"}), id="other-body"),
        pytest.param(1, DATA.model_copy(update={"recipient_id": 8}), id="other-recipient"),
        pytest.param(2, DATA, id="other-sender"),
    ],
)
async def test_enqueue_same_key_different_payload_conflicts(
    notification_service: NotificationService,
    outbox_repository: MagicMock,
    sender_id: int,
    data: NotificationCreate,
) -> None:
    outbox_repository.get_by_key.return_value = stored(1, DATA)

    with pytest.raises(IdempotencyConflict):
        await notification_service.enqueue(sender_id, data, "k1")

    outbox_repository.add.assert_not_awaited()


async def test_enqueue_losing_a_race_replays_the_winner(
    notification_service: NotificationService, outbox_repository: MagicMock
) -> None:
    winner = stored(1, DATA)
    outbox_repository.get_by_key.side_effect = [None, winner]
    outbox_repository.add.side_effect = IdempotencyKeyTaken("k1")

    message, created = await notification_service.enqueue(1, DATA, "k1")

    assert (message, created) == (winner, False)
    outbox_repository.commit.assert_not_awaited()


async def test_enqueue_losing_a_race_to_another_payload_conflicts(
    notification_service: NotificationService, outbox_repository: MagicMock
) -> None:
    other = DATA.model_copy(update={"body": "different"})
    outbox_repository.get_by_key.side_effect = [None, stored(1, other)]
    outbox_repository.add.side_effect = IdempotencyKeyTaken("k1")

    with pytest.raises(IdempotencyConflict):
        await notification_service.enqueue(1, DATA, "k1")


def test_payload_hash_is_stable_and_independent_of_field_order() -> None:
    reordered = NotificationCreate.model_validate(
        {"body": "All green.", "subject": "Build finished", "recipient_id": 7}
    )

    assert payload_hash(1, DATA) == payload_hash(1, reordered)
    assert len(payload_hash(1, DATA)) == 64


async def test_get_and_list_are_scoped_to_the_caller(
    notification_service: NotificationService, outbox_repository: MagicMock
) -> None:
    outbox_repository.get_for_user.return_value = stored(1, DATA)
    outbox_repository.list_for_user.return_value = ([stored(1, DATA)], 1)

    assert await notification_service.get(7, 41) is outbox_repository.get_for_user.return_value
    items, total = await notification_service.list(7, limit=10, offset=0, status=MessageStatus.SENT)

    outbox_repository.get_for_user.assert_awaited_once_with(41, 7)
    outbox_repository.list_for_user.assert_awaited_once_with(
        7, limit=10, offset=0, status=MessageStatus.SENT
    )
    assert total == 1 and len(items) == 1
