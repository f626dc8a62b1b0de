"""POST /api/v1/digests/run: who gets a digest depends on the (frozen) clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx
from freezegun import freeze_time
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.models import Digest, MessageStatus
from tests.factories import DigestFactory, OutboxMessageFactory, PreferenceFactory
from tests.integration.conftest import OTHER_USER_ID, USER_ID

pytestmark = pytest.mark.anyio

URL = "/api/v1/digests/run"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def digests_of(session: AsyncSession, user_id: int) -> list[Digest]:
    return list(await session.scalars(select(Digest).where(Digest.user_id == user_id)))


async def test_sends_digest_at_users_local_hour(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    async_db_session: AsyncSession,
) -> None:
    PreferenceFactory(
        user_id=USER_ID,
        email="berlin@example.com",
        digest_enabled=True,
        digest_hour=8,
        timezone="Europe/Berlin",
    )
    first = OutboxMessageFactory(user_id=USER_ID, subject="A", created_at=at("2025-01-14 18:00"))
    second = OutboxMessageFactory(user_id=USER_ID, subject="B", created_at=at("2025-01-15 06:00"))
    route = email_api.post("/v1/messages").respond(202)

    # 07:30 UTC is 08:30 in Berlin (UTC+1 in January)
    with freeze_time("2025-01-15 07:30:00", real_asyncio=True):
        response = await client.post(URL, headers=admin_headers)

    assert response.status_code == 200
    assert response.json() == {"digests_sent": 1, "messages_included": 2, "failed": 0}
    request = route.calls.last.request
    assert request.headers["Idempotency-Key"] == f"digest:{USER_ID}:2025-01-15"
    sent = json.loads(request.content)
    assert sent["to"] == "berlin@example.com"
    assert sent["subject"] == "Your daily digest for 2025-01-15: 2 notifications"
    assert sent["text"].index("- A") < sent["text"].index("- B")
    for message in (first, second):
        await async_db_session.refresh(message)
        assert message.status is MessageStatus.SENT
        assert message.sent_at == at("2025-01-15 07:30")
    [digest] = await digests_of(async_db_session, USER_ID)
    assert (digest.message_count, digest.sent_at) == (2, at("2025-01-15 07:30"))


@pytest.mark.parametrize(
    ("now", "expected_sent"),
    [
        pytest.param("2025-07-15 06:05:00", 1, id="summer-utc+2-08h-local"),
        pytest.param("2025-07-15 07:05:00", 0, id="summer-09h-local"),
        pytest.param("2025-01-15 06:05:00", 0, id="winter-07h-local"),
        pytest.param("2025-01-15 07:59:59", 1, id="winter-last-second-of-08h"),
    ],
)
async def test_only_users_whose_local_hour_it_is(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    now: str,
    expected_sent: int,
) -> None:
    PreferenceFactory(user_id=USER_ID, digest_enabled=True, digest_hour=8, timezone="Europe/Berlin")
    OutboxMessageFactory(user_id=USER_ID, created_at=at("2025-01-01 00:00"))
    route = email_api.post("/v1/messages").respond(202)

    with freeze_time(now, real_asyncio=True):
        response = await client.post(URL, headers=admin_headers)

    assert response.json()["digests_sent"] == expected_sent
    assert route.call_count == expected_sent


async def test_each_user_in_their_own_time_zone(
    client: AsyncClient, admin_headers: dict[str, str], email_api: respx.MockRouter
) -> None:
    # 13:00 UTC: 08:00 in New York (UTC-5), 22:00 in Tokyo, 13:00 in UTC
    PreferenceFactory(
        user_id=USER_ID, digest_enabled=True, digest_hour=8, timezone="America/New_York"
    )
    PreferenceFactory(
        user_id=OTHER_USER_ID, digest_enabled=True, digest_hour=8, timezone="Asia/Tokyo"
    )
    PreferenceFactory(user_id=303, digest_enabled=True, digest_hour=13, timezone="UTC")
    for user_id in (USER_ID, OTHER_USER_ID, 303):
        OutboxMessageFactory(user_id=user_id, created_at=at("2025-01-15 00:00"))
    route = email_api.post("/v1/messages").respond(202)

    with freeze_time("2025-01-15 13:00:00", real_asyncio=True):
        response = await client.post(URL, headers=admin_headers)

    assert response.json() == {"digests_sent": 2, "messages_included": 2, "failed": 0}
    keys = {call.request.headers["Idempotency-Key"] for call in route.calls}
    assert keys == {f"digest:{USER_ID}:2025-01-15", "digest:303:2025-01-15"}


async def test_second_run_in_the_same_hour_sends_nothing(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    async_db_session: AsyncSession,
) -> None:
    PreferenceFactory(user_id=USER_ID, digest_enabled=True, digest_hour=8)
    OutboxMessageFactory(user_id=USER_ID, created_at=at("2025-01-15 07:00"))
    route = email_api.post("/v1/messages").respond(202)

    with freeze_time("2025-01-15 08:00:00", real_asyncio=True) as frozen:
        first = await client.post(URL, headers=admin_headers)
        OutboxMessageFactory(user_id=USER_ID, created_at=at("2025-01-15 08:10"))
        frozen.move_to("2025-01-15 08:20:00")
        second = await client.post(URL, headers=admin_headers)

    assert first.json()["digests_sent"] == 1
    assert second.json()["digests_sent"] == 0
    assert route.call_count == 1
    assert len(await digests_of(async_db_session, USER_ID)) == 1


async def test_next_day_sends_what_arrived_since_the_last_digest(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    async_db_session: AsyncSession,
) -> None:
    PreferenceFactory(user_id=USER_ID, digest_enabled=True, digest_hour=8)
    DigestFactory(user_id=USER_ID, sent_at=at("2025-01-14 08:00"), message_count=4)
    OutboxMessageFactory(
        user_id=USER_ID, status=MessageStatus.SENT, created_at=at("2025-01-14 07:00")
    )
    OutboxMessageFactory(user_id=USER_ID, subject="new", created_at=at("2025-01-14 09:00"))
    route = email_api.post("/v1/messages").respond(202)

    with freeze_time("2025-01-15 08:15:00", real_asyncio=True):
        response = await client.post(URL, headers=admin_headers)

    assert response.json() == {"digests_sent": 1, "messages_included": 1, "failed": 0}
    assert "- new" in json.loads(route.calls.last.request.content)["text"]
    assert len(await digests_of(async_db_session, USER_ID)) == 2


@pytest.mark.parametrize(
    "preference",
    [
        pytest.param({"digest_enabled": False}, id="digest-off"),
        pytest.param({"digest_enabled": True, "email_enabled": False}, id="email-off"),
    ],
)
async def test_users_without_email_digests_are_skipped(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    preference: dict[str, bool],
) -> None:
    PreferenceFactory(user_id=USER_ID, digest_hour=8, **preference)
    OutboxMessageFactory(user_id=USER_ID, created_at=at("2025-01-15 07:00"))
    route = email_api.post("/v1/messages").respond(202)

    with freeze_time("2025-01-15 08:00:00", real_asyncio=True):
        response = await client.post(URL, headers=admin_headers)

    assert response.json() == {"digests_sent": 0, "messages_included": 0, "failed": 0}
    assert route.call_count == 0


async def test_failed_digest_keeps_messages_pending(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    async_db_session: AsyncSession,
    backoff_sleeps: list[float],
) -> None:
    PreferenceFactory(user_id=USER_ID, digest_enabled=True, digest_hour=8)
    message = OutboxMessageFactory(user_id=USER_ID, created_at=at("2025-01-15 07:00"))
    email_api.post("/v1/messages").mock(side_effect=httpx.ReadTimeout("slow"))

    with freeze_time("2025-01-15 08:00:00", real_asyncio=True):
        response = await client.post(URL, headers=admin_headers)

    assert response.json() == {"digests_sent": 0, "messages_included": 0, "failed": 1}
    assert backoff_sleeps == [0.5, 1.0]
    await async_db_session.refresh(message)
    assert message.status is MessageStatus.PENDING
    assert message.last_error == "digest: timeout: ReadTimeout"
    assert await digests_of(async_db_session, USER_ID) == []


async def test_non_admin_is_403(client: AsyncClient, user_headers: dict[str, str]) -> None:
    response = await client.post(URL, headers=user_headers)

    assert response.status_code == 403
    assert response.json() == {"detail": "admin rights required"}


async def test_without_identity_is_401(client: AsyncClient) -> None:
    response = await client.post(URL)

    assert response.status_code == 401
