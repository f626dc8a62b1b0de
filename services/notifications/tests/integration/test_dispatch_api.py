"""POST /api/v1/outbox/dispatch against a respx-mocked email provider."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from freezegun import freeze_time
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.models import MessageStatus
from tests.factories import OutboxMessageFactory, PreferenceFactory
from tests.integration.conftest import OTHER_USER_ID, USER_ID

pytestmark = pytest.mark.anyio

URL = "/api/v1/outbox/dispatch"


def queue_for(user_id: int, **fields: object):  # -> OutboxMessage
    return OutboxMessageFactory(user_id=user_id, **fields)


async def test_sends_pending_message_and_marks_it_sent(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    async_db_session: AsyncSession,
    backoff_sleeps: list[float],
) -> None:
    PreferenceFactory(user_id=USER_ID, email="ada@example.com")
    message = queue_for(USER_ID, subject="Invoice", body="Due soon", idempotency_key="inv-7")
    route = email_api.post("/v1/messages").respond(202, json={"id": "p-1"})

    with freeze_time("2025-04-01 10:00:00", real_asyncio=True):
        response = await client.post(URL, headers=admin_headers)

    assert response.status_code == 200
    assert response.json() == {"sent": 1, "failed": 0, "retried": 0}
    request = route.calls.last.request
    assert request.headers["Idempotency-Key"] == "inv-7"
    assert json.loads(request.content)["to"] == "ada@example.com"
    await async_db_session.refresh(message)
    assert message.status is MessageStatus.SENT
    assert message.attempts == 1
    assert (
        message.sent_at is not None and message.sent_at.isoformat() == "2025-04-01T10:00:00+00:00"
    )
    assert backoff_sleeps == []


async def test_retries_5xx_with_backoff_then_sends_once(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    async_db_session: AsyncSession,
    backoff_sleeps: list[float],
) -> None:
    PreferenceFactory(user_id=USER_ID)
    message = queue_for(USER_ID, idempotency_key="flaky-provider")
    route = email_api.post("/v1/messages").mock(
        side_effect=[httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(200)]
    )

    response = await client.post(URL, headers=admin_headers)

    assert response.json() == {"sent": 1, "failed": 0, "retried": 0}
    assert route.call_count == 3
    assert {c.request.headers["Idempotency-Key"] for c in route.calls} == {"flaky-provider"}
    assert backoff_sleeps == [0.5, 1.0]
    await async_db_session.refresh(message)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 3)


async def test_4xx_fails_message_without_retry(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    async_db_session: AsyncSession,
    backoff_sleeps: list[float],
) -> None:
    PreferenceFactory(user_id=USER_ID)
    message = queue_for(USER_ID)
    route = email_api.post("/v1/messages").respond(422, text="mailbox does not exist")

    response = await client.post(URL, headers=admin_headers)

    assert response.json() == {"sent": 0, "failed": 1, "retried": 0}
    assert route.call_count == 1
    assert backoff_sleeps == []
    await async_db_session.refresh(message)
    assert message.status is MessageStatus.FAILED
    assert message.last_error == "HTTP 422: mailbox does not exist"


async def test_persistent_5xx_leaves_message_pending_for_next_run(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    async_db_session: AsyncSession,
    backoff_sleeps: list[float],
) -> None:
    PreferenceFactory(user_id=USER_ID)
    message = queue_for(USER_ID)
    email_api.post("/v1/messages").respond(500)

    response = await client.post(URL, headers=admin_headers)

    assert response.json() == {"sent": 0, "failed": 0, "retried": 1}
    await async_db_session.refresh(message)
    assert (message.status, message.attempts, message.last_error) == (
        MessageStatus.PENDING,
        3,
        "HTTP 500",
    )


async def test_message_out_of_attempts_is_failed_on_the_last_run(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    async_db_session: AsyncSession,
    backoff_sleeps: list[float],
) -> None:
    PreferenceFactory(user_id=USER_ID)
    message = queue_for(USER_ID)
    email_api.post("/v1/messages").mock(side_effect=httpx.ConnectTimeout("down"))

    first = await client.post(URL, headers=admin_headers)
    second = await client.post(URL, headers=admin_headers)
    third = await client.post(URL, headers=admin_headers)

    assert first.json() == {"sent": 0, "failed": 0, "retried": 1}
    assert second.json() == {"sent": 0, "failed": 1, "retried": 0}  # 6 attempts used
    assert third.json() == {"sent": 0, "failed": 0, "retried": 0}  # nothing left to send
    await async_db_session.refresh(message)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 6)


async def test_only_sends_to_recipients_with_email_on_and_no_digest(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    async_db_session: AsyncSession,
) -> None:
    PreferenceFactory(user_id=USER_ID, email="yes@example.com")
    PreferenceFactory(user_id=OTHER_USER_ID, email_enabled=False)
    PreferenceFactory(user_id=303, digest_enabled=True)
    sendable = queue_for(USER_ID)
    email_off = queue_for(OTHER_USER_ID)
    digest_user = queue_for(303)
    no_preferences = queue_for(404)
    already_sent = queue_for(USER_ID, status=MessageStatus.SENT)
    route = email_api.post("/v1/messages").respond(200)

    response = await client.post(URL, headers=admin_headers)

    assert response.json() == {"sent": 1, "failed": 0, "retried": 0}
    assert route.call_count == 1
    for message in (sendable, email_off, digest_user, no_preferences, already_sent):
        await async_db_session.refresh(message)
    assert sendable.status is MessageStatus.SENT
    assert {m.status for m in (email_off, digest_user, no_preferences)} == {MessageStatus.PENDING}


async def test_mixed_outcomes_are_counted(
    client: AsyncClient,
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
    backoff_sleeps: list[float],
) -> None:
    PreferenceFactory(user_id=USER_ID)
    for key in ("ok-1", "bad-2", "down-3", "ok-4"):
        queue_for(USER_ID, idempotency_key=key)
    outcomes = {"ok-1": 200, "bad-2": 400, "down-3": 503, "ok-4": 201}
    email_api.post("/v1/messages").mock(
        side_effect=lambda request: httpx.Response(outcomes[request.headers["Idempotency-Key"]])
    )

    response = await client.post(URL, headers=admin_headers)

    assert response.json() == {"sent": 2, "failed": 1, "retried": 1}


async def test_enqueued_message_is_delivered_end_to_end(
    client: AsyncClient,
    user_headers: dict[str, str],
    admin_headers: dict[str, str],
    email_api: respx.MockRouter,
) -> None:
    await client.put("/api/v1/preferences", json={"email": "me@example.com"}, headers=user_headers)
    created = await client.post(
        "/api/v1/notifications",
        json={"recipient_id": USER_ID, "subject": "Hi", "body": "there"},
        headers={**user_headers, "Idempotency-Key": "e2e"},
    )
    route = email_api.post("/v1/messages").respond(202)

    await client.post(URL, headers=admin_headers)

    assert json.loads(route.calls.last.request.content)["subject"] == "Hi"
    shown = await client.get(f"/api/v1/notifications/{created.json()['id']}", headers=user_headers)
    assert shown.json()["status"] == "sent"


async def test_non_admin_is_403(
    client: AsyncClient, user_headers: dict[str, str], email_api: respx.MockRouter
) -> None:
    PreferenceFactory(user_id=USER_ID)
    queue_for(USER_ID)
    route = email_api.post("/v1/messages").respond(200)

    response = await client.post(URL, headers=user_headers)

    assert response.status_code == 403
    assert route.call_count == 0


async def test_without_identity_is_401(client: AsyncClient) -> None:
    response = await client.post(URL)

    assert response.status_code == 401
