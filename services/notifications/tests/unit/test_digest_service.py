"""Daily digests: when one is due (time zones, DST) and what a run does."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import MagicMock

import pytest
from freezegun import freeze_time

from notifications.clients import DeliveryResult, EmailMessage, TransientDeliveryError
from notifications.models import Digest, MessageStatus, OutboxMessage, Preference
from notifications.schemas import DigestRunResult
from notifications.services import DigestService, digest_is_due, render_digest

pytestmark = pytest.mark.anyio


def preference(user_id: int = 7, hour: int = 8, tz: str = "UTC") -> Preference:
    return Preference(
        user_id=user_id,
        email=f"user{user_id}@example.com",
        email_enabled=True,
        digest_enabled=True,
        digest_hour=hour,
        timezone=tz,
    )


def message(message_id: int, user_id: int = 7) -> OutboxMessage:
    return OutboxMessage(
        id=message_id,
        user_id=user_id,
        subject=f"Subject {message_id}",
        body=f"Body {message_id}",
        idempotency_key=f"key-{message_id}",
        payload_hash="0" * 64,
        status=MessageStatus.PENDING,
        attempts=0,
    )


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "hour", "tz", "due"),
    [
        pytest.param("2025-01-15 08:00", 8, "UTC", True, id="utc-start-of-hour"),
        pytest.param("2025-01-15 08:59", 8, "UTC", True, id="utc-end-of-hour"),
        pytest.param("2025-01-15 09:00", 8, "UTC", False, id="utc-next-hour"),
        pytest.param("2025-01-15 07:30", 8, "Europe/Berlin", True, id="berlin-winter-utc+1"),
        pytest.param("2025-07-15 06:30", 8, "Europe/Berlin", True, id="berlin-summer-utc+2"),
        pytest.param("2025-07-15 07:30", 8, "Europe/Berlin", False, id="berlin-summer-wrong-hour"),
        pytest.param("2025-01-15 13:00", 8, "America/New_York", True, id="new-york-utc-5"),
        pytest.param("2025-01-15 02:30", 8, "Asia/Kolkata", True, id="kolkata-half-hour-offset"),
        pytest.param("2025-01-14 23:10", 0, "Asia/Tokyo", False, id="tokyo-is-already-8"),
        pytest.param("2025-01-14 15:10", 0, "Asia/Tokyo", True, id="tokyo-midnight"),
    ],
)
def test_digest_is_due_in_the_users_time_zone(now: str, hour: int, tz: str, due: bool) -> None:
    assert digest_is_due(preference(hour=hour, tz=tz), utc(now), last=None) is due


def test_digest_hour_skipped_by_dst_is_not_due_that_day() -> None:
    # 2025-03-30 in Berlin: 02:00 jumps to 03:00, there is no local hour 2.
    pref = preference(hour=2, tz="Europe/Berlin")
    hours = [utc(f"2025-03-29 {h:02d}:30") for h in range(22, 24)] + [
        utc(f"2025-03-30 {h:02d}:30") for h in range(0, 22)
    ]

    assert not any(digest_is_due(pref, now, last=None) for now in hours)


@pytest.mark.parametrize(
    ("last_sent", "due"),
    [
        pytest.param("2025-01-15 08:05", False, id="already-sent-this-local-day"),
        pytest.param("2025-01-14 08:05", True, id="sent-yesterday"),
        # 23:30 UTC on the 14th is already the 15th in Berlin
        pytest.param("2025-01-14 23:30", False, id="sent-today-by-local-date"),
    ],
)
def test_digest_is_due_once_per_local_day(last_sent: str, due: bool) -> None:
    pref = preference(hour=8, tz="Europe/Berlin")
    last = Digest(user_id=7, sent_at=utc(last_sent), message_count=1)

    assert digest_is_due(pref, utc("2025-01-15 07:20"), last) is due


def test_render_digest_lists_every_message() -> None:
    subject, body = render_digest([message(1), message(2)], "2025-01-15")

    assert subject == "Your daily digest for 2025-01-15: 2 notifications"
    assert body == "- Subject 1\n  Body 1\n\n- Subject 2\n  Body 2"
    assert render_digest([message(1)], "2025-01-15")[0].endswith("1 notification")


@freeze_time("2025-01-15 07:30:00", real_asyncio=True)
async def test_run_sends_due_digest_and_marks_messages_sent(
    digest_service: DigestService,
    preference_repository: MagicMock,
    outbox_repository: MagicMock,
    digest_repository: MagicMock,
    mock_provider: MagicMock,
) -> None:
    now = utc("2025-01-15 07:30")
    pref = preference(hour=8, tz="Europe/Berlin")
    messages = [message(1), message(2)]
    preference_repository.list_digest_candidates.return_value = [pref]
    outbox_repository.list_pending_for_user.return_value = messages
    mock_provider.send.return_value = DeliveryResult(attempts=1, provider_id=None)

    result = await digest_service.run()

    assert result == DigestRunResult(digests_sent=1, messages_included=2, failed=0)
    sent: EmailMessage = mock_provider.send.await_args.args[0]
    assert sent.to == "user7@example.com"
    assert sent.idempotency_key == "digest:7:2025-01-15"
    assert sent.subject == "Your daily digest for 2025-01-15: 2 notifications"
    assert all(m.status is MessageStatus.SENT and m.sent_at == now for m in messages)
    outbox_repository.list_pending_for_user.assert_awaited_once_with(7, until=now)
    digest_repository.add.assert_awaited_once_with(7, now, 2)
    outbox_repository.commit.assert_awaited_once()


@freeze_time("2025-01-15 10:00:00", real_asyncio=True)
async def test_run_skips_users_whose_hour_it_is_not(
    digest_service: DigestService,
    preference_repository: MagicMock,
    outbox_repository: MagicMock,
    mock_provider: MagicMock,
) -> None:
    preference_repository.list_digest_candidates.return_value = [preference(hour=8)]

    result = await digest_service.run()

    assert result == DigestRunResult()
    outbox_repository.list_pending_for_user.assert_not_awaited()
    mock_provider.send.assert_not_awaited()


@freeze_time("2025-01-15 08:40:00", real_asyncio=True)
async def test_run_skips_user_who_already_got_todays_digest(
    digest_service: DigestService,
    preference_repository: MagicMock,
    digest_repository: MagicMock,
    mock_provider: MagicMock,
) -> None:
    preference_repository.list_digest_candidates.return_value = [preference(hour=8)]
    digest_repository.last_for_user.return_value = Digest(
        user_id=7, sent_at=utc("2025-01-15 08:01"), message_count=3
    )

    result = await digest_service.run()

    assert result == DigestRunResult()
    mock_provider.send.assert_not_awaited()


@freeze_time("2025-01-15 08:10:00", real_asyncio=True)
async def test_run_skips_user_without_pending_messages_left(
    digest_service: DigestService, preference_repository: MagicMock, mock_provider: MagicMock
) -> None:
    preference_repository.list_digest_candidates.return_value = [preference(hour=8)]

    result = await digest_service.run()

    assert result == DigestRunResult()
    mock_provider.send.assert_not_awaited()


@freeze_time("2025-01-15 08:10:00", real_asyncio=True)
async def test_run_keeps_messages_pending_when_digest_delivery_fails(
    digest_service: DigestService,
    preference_repository: MagicMock,
    outbox_repository: MagicMock,
    digest_repository: MagicMock,
    mock_provider: MagicMock,
) -> None:
    messages = [message(1)]
    preference_repository.list_digest_candidates.return_value = [preference(hour=8)]
    outbox_repository.list_pending_for_user.return_value = messages
    mock_provider.send.side_effect = TransientDeliveryError("HTTP 503", 3)

    result = await digest_service.run()

    assert result == DigestRunResult(digests_sent=0, messages_included=0, failed=1)
    assert messages[0].status is MessageStatus.PENDING
    assert messages[0].last_error == "digest: HTTP 503"
    digest_repository.add.assert_not_awaited()
