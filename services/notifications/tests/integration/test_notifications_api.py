"""POST/GET /api/v1/notifications: idempotent enqueueing and the caller's inbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.models import MessageStatus, OutboxMessage
from tests.factories import OutboxMessageFactory
from tests.integration.conftest import OTHER_USER_ID, USER_ID

pytestmark = pytest.mark.anyio

URL = "/api/v1/notifications"
Payload = Callable[..., dict[str, Any]]


async def outbox_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


class TestCreateNotification:
    async def test_enqueues_pending_message_201(
        self,
        client: AsyncClient,
        user_headers: dict[str, str],
        notification_payload: Payload,
        async_db_session: AsyncSession,
    ) -> None:
        with freeze_time("2025-02-03 04:05:06", real_asyncio=True):
            response = await client.post(
                URL,
                json=notification_payload(recipient_id=OTHER_USER_ID),
                headers={**user_headers, "Idempotency-Key": "order-1-shipped"},
            )

        assert response.status_code == 201
        assert response.headers["Idempotent-Replayed"] == "false"
        body = response.json()
        assert body["recipient_id"] == OTHER_USER_ID
        assert body["status"] == "pending"
        assert body["attempts"] == 0
        assert body["sent_at"] is None
        assert body["created_at"] == "2025-02-03T04:05:06Z"
        stored = await async_db_session.get(OutboxMessage, body["id"])
        assert stored is not None
        assert stored.idempotency_key == "order-1-shipped"
        assert len(stored.payload_hash) == 64

    async def test_same_key_same_payload_replays_original(
        self,
        client: AsyncClient,
        user_headers: dict[str, str],
        notification_payload: Payload,
        async_db_session: AsyncSession,
    ) -> None:
        headers = {**user_headers, "Idempotency-Key": "retry-me"}
        first = await client.post(URL, json=notification_payload(), headers=headers)

        second = await client.post(URL, json=notification_payload(), headers=headers)

        assert first.status_code == second.status_code == 201
        assert second.headers["Idempotent-Replayed"] == "true"
        assert second.json() == first.json()
        assert await outbox_count(async_db_session) == 1

    @pytest.mark.parametrize(
        "changes",
        [
            pytest.param({"subject": "Another subject"}, id="other-subject"),
            pytest.param({"body": "Another body"}, id="other-body"),
            pytest.param({"recipient_id": OTHER_USER_ID}, id="other-recipient"),
        ],
    )
    async def test_same_key_different_payload_is_409(
        self,
        client: AsyncClient,
        user_headers: dict[str, str],
        notification_payload: Payload,
        async_db_session: AsyncSession,
        changes: dict[str, Any],
    ) -> None:
        headers = {**user_headers, "Idempotency-Key": "reused"}
        await client.post(URL, json=notification_payload(), headers=headers)

        response = await client.post(URL, json=notification_payload(**changes), headers=headers)

        assert response.status_code == 409
        assert "different payload" in response.json()["detail"]
        assert await outbox_count(async_db_session) == 1

    async def test_same_key_from_another_caller_is_409(
        self,
        client: AsyncClient,
        user_headers: dict[str, str],
        other_user_headers: dict[str, str],
        notification_payload: Payload,
    ) -> None:
        await client.post(
            URL, json=notification_payload(), headers={**user_headers, "Idempotency-Key": "k"}
        )

        response = await client.post(
            URL, json=notification_payload(), headers={**other_user_headers, "Idempotency-Key": "k"}
        )

        assert response.status_code == 409

    async def test_key_taken_by_existing_row_with_other_payload_is_409(
        self, client: AsyncClient, user_headers: dict[str, str], notification_payload: Payload
    ) -> None:
        OutboxMessageFactory(idempotency_key="seeded-key")

        response = await client.post(
            URL,
            json=notification_payload(),
            headers={**user_headers, "Idempotency-Key": "seeded-key"},
        )

        assert response.status_code == 409

    @pytest.mark.parametrize(
        "key_header",
        [
            pytest.param({}, id="missing"),
            pytest.param({"Idempotency-Key": ""}, id="empty"),
            pytest.param({"Idempotency-Key": "has space"}, id="space"),
            pytest.param({"Idempotency-Key": "k" * 256}, id="too-long"),
        ],
    )
    async def test_missing_or_invalid_idempotency_key_is_422(
        self,
        client: AsyncClient,
        user_headers: dict[str, str],
        notification_payload: Payload,
        async_db_session: AsyncSession,
        key_header: dict[str, str],
    ) -> None:
        response = await client.post(
            URL, json=notification_payload(), headers={**user_headers, **key_header}
        )

        assert response.status_code == 422
        assert ["header", "Idempotency-Key"] in [e["loc"] for e in response.json()["detail"]]
        assert await outbox_count(async_db_session) == 0

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            pytest.param({"recipient_id": 0}, "recipient_id", id="recipient-zero"),
            pytest.param({"recipient_id": "bob"}, "recipient_id", id="recipient-not-int"),
            pytest.param({"subject": ""}, "subject", id="empty-subject"),
            pytest.param({"subject": "a\nBcc: x@example.com"}, "subject", id="multiline-subject"),
            pytest.param({"subject": "s" * 201}, "subject", id="subject-too-long"),
            pytest.param({"body": "   "}, "body", id="blank-body"),
            pytest.param({"priority": "high"}, "priority", id="unknown-field"),
        ],
    )
    async def test_invalid_payload_is_422(
        self,
        client: AsyncClient,
        user_headers: dict[str, str],
        notification_payload: Payload,
        changes: dict[str, Any],
        field: str,
    ) -> None:
        response = await client.post(
            URL,
            json=notification_payload(**changes),
            headers={**user_headers, "Idempotency-Key": "invalid"},
        )

        assert response.status_code == 422
        assert ["body", field] in [e["loc"] for e in response.json()["detail"]]

    async def test_without_identity_is_401(
        self, client: AsyncClient, notification_payload: Payload, async_db_session: AsyncSession
    ) -> None:
        response = await client.post(
            URL, json=notification_payload(), headers={"Idempotency-Key": "anon"}
        )

        assert response.status_code == 401
        assert await outbox_count(async_db_session) == 0


class TestListNotifications:
    async def test_lists_only_the_callers_newest_first(
        self, client: AsyncClient, user_headers: dict[str, str]
    ) -> None:
        start = datetime(2025, 1, 1, tzinfo=UTC)
        for day in range(3):
            OutboxMessageFactory(
                user_id=USER_ID, subject=f"day {day}", created_at=start + timedelta(days=day)
            )
        OutboxMessageFactory(user_id=OTHER_USER_ID, subject="not yours")

        response = await client.get(URL, headers=user_headers)

        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 3
        assert [item["subject"] for item in body["items"]] == ["day 2", "day 1", "day 0"]
        assert {item["recipient_id"] for item in body["items"]} == {USER_ID}

    async def test_paginates_with_limit_and_offset(
        self, client: AsyncClient, user_headers: dict[str, str]
    ) -> None:
        start = datetime(2025, 1, 1, tzinfo=UTC)
        for minute in range(5):
            OutboxMessageFactory(
                user_id=USER_ID, subject=f"m{minute}", created_at=start + timedelta(minutes=minute)
            )

        response = await client.get(URL, params={"limit": 2, "offset": 2}, headers=user_headers)

        body = response.json()
        assert (body["total"], body["limit"], body["offset"]) == (5, 2, 2)
        assert [item["subject"] for item in body["items"]] == ["m2", "m1"]

    async def test_filters_by_status(
        self, client: AsyncClient, user_headers: dict[str, str]
    ) -> None:
        OutboxMessageFactory(user_id=USER_ID, status=MessageStatus.SENT, subject="sent one")
        OutboxMessageFactory(user_id=USER_ID, status=MessageStatus.PENDING)
        OutboxMessageFactory(user_id=USER_ID, status=MessageStatus.FAILED)

        response = await client.get(URL, params={"status": "sent"}, headers=user_headers)

        body = response.json()
        assert body["total"] == 1
        assert body["items"][0]["subject"] == "sent one"

    async def test_empty_inbox(self, client: AsyncClient, user_headers: dict[str, str]) -> None:
        response = await client.get(URL, headers=user_headers)

        assert response.json() == {"items": [], "total": 0, "limit": 20, "offset": 0}

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            pytest.param({"limit": 0}, "limit", id="limit-zero"),
            pytest.param({"limit": 101}, "limit", id="limit-too-large"),
            pytest.param({"offset": -1}, "offset", id="offset-negative"),
            pytest.param({"status": "bounced"}, "status", id="unknown-status"),
        ],
    )
    async def test_invalid_query_is_422(
        self,
        client: AsyncClient,
        user_headers: dict[str, str],
        params: dict[str, Any],
        field: str,
    ) -> None:
        response = await client.get(URL, params=params, headers=user_headers)

        assert response.status_code == 422
        assert ["query", field] in [e["loc"] for e in response.json()["detail"]]

    async def test_without_identity_is_401(self, client: AsyncClient) -> None:
        response = await client.get(URL)

        assert response.status_code == 401


class TestGetNotification:
    async def test_returns_own_notification(
        self, client: AsyncClient, user_headers: dict[str, str], async_db_session: AsyncSession
    ) -> None:
        message = OutboxMessageFactory(user_id=USER_ID, subject="Hello")
        await async_db_session.flush()

        response = await client.get(f"{URL}/{message.id}", headers=user_headers)

        assert response.status_code == 200
        assert response.json()["subject"] == "Hello"

    async def test_someone_elses_notification_is_404(
        self, client: AsyncClient, user_headers: dict[str, str], async_db_session: AsyncSession
    ) -> None:
        message = OutboxMessageFactory(user_id=OTHER_USER_ID)
        await async_db_session.flush()

        response = await client.get(f"{URL}/{message.id}", headers=user_headers)

        assert response.status_code == 404

    async def test_unknown_id_is_404(
        self, client: AsyncClient, user_headers: dict[str, str]
    ) -> None:
        response = await client.get(f"{URL}/999999", headers=user_headers)

        assert response.status_code == 404

    @pytest.mark.parametrize(
        "raw_id",
        [
            pytest.param("0", id="zero"),
            pytest.param("abc", id="not-a-number"),
            pytest.param(str(2**31), id="beyond-integer-column"),
        ],
    )
    async def test_invalid_id_is_422(
        self, client: AsyncClient, user_headers: dict[str, str], raw_id: str
    ) -> None:
        response = await client.get(f"{URL}/{raw_id}", headers=user_headers)

        assert response.status_code == 422
        assert ["path", "notification_id"] in [e["loc"] for e in response.json()["detail"]]
