"""Database constraints, and the repository's handling of a lost idempotency race."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.models import MessageStatus, OutboxMessage
from notifications.repositories import IdempotencyKeyTaken, OutboxRepository
from tests.factories import DigestFactory, OutboxMessageFactory, PreferenceFactory

pytestmark = pytest.mark.anyio


async def test_idempotency_key_is_unique(async_db_session: AsyncSession) -> None:
    OutboxMessageFactory(idempotency_key="dup")
    OutboxMessageFactory(idempotency_key="dup")

    with pytest.raises(IntegrityError, match="uq_outbox_messages_idempotency_key"):
        await async_db_session.flush()


async def test_one_preference_row_per_user(async_db_session: AsyncSession) -> None:
    PreferenceFactory(user_id=5)
    PreferenceFactory(user_id=5)

    with pytest.raises(IntegrityError, match="uq_preferences_user_id"):
        await async_db_session.flush()


@pytest.mark.parametrize(
    ("factory", "fields", "constraint"),
    [
        pytest.param(
            PreferenceFactory,
            {"digest_hour": 24},
            "ck_preferences_digest_hour_range",
            id="digest-hour",
        ),
        pytest.param(
            OutboxMessageFactory,
            {"attempts": -1},
            "ck_outbox_messages_attempts_non_negative",
            id="attempts",
        ),
        pytest.param(
            DigestFactory,
            {"message_count": 0},
            "ck_digests_message_count_positive",
            id="empty-digest",
        ),
    ],
)
async def test_check_constraints(
    async_db_session: AsyncSession, factory: type, fields: dict[str, int], constraint: str
) -> None:
    factory(**fields)

    with pytest.raises(IntegrityError, match=constraint):
        await async_db_session.flush()


async def test_lost_race_raises_domain_error_and_keeps_session_usable(
    async_db_session: AsyncSession,
) -> None:
    OutboxMessageFactory(idempotency_key="race", user_id=1)
    await async_db_session.flush()
    repository = OutboxRepository(async_db_session)
    loser = OutboxMessage(
        user_id=1,
        subject="s",
        body="b",
        idempotency_key="race",
        payload_hash="0" * 64,
        status=MessageStatus.PENDING,
        attempts=0,
    )

    with pytest.raises(IdempotencyKeyTaken):
        await repository.add(loser)

    winner = await repository.get_by_key("race")
    assert winner is not None and winner.user_id == 1


async def test_other_integrity_errors_are_not_mistaken_for_a_race(
    async_db_session: AsyncSession,
) -> None:
    repository = OutboxRepository(async_db_session)
    invalid = OutboxMessage(
        user_id=1,
        subject="s",
        body="b",
        idempotency_key="fine",
        payload_hash="0" * 64,
        status=MessageStatus.PENDING,
        attempts=-5,
    )

    with pytest.raises(IntegrityError):
        await repository.add(invalid)
