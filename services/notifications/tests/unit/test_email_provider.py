"""EmailProvider against a respx-mocked provider API: retries, backoff, idempotency."""

from __future__ import annotations

import json
from unittest.mock import MagicMock

import httpx
import pytest
import respx

from notifications.clients import (
    EmailMessage,
    EmailProvider,
    PermanentDeliveryError,
    TransientDeliveryError,
    backoff_delays,
)

pytestmark = pytest.mark.anyio

MESSAGE = EmailMessage(
    to="ada@example.com", subject="Hello", text="Body text", idempotency_key="key-123"
)


async def test_send_posts_message_with_idempotency_key(
    email_provider: EmailProvider, email_api: respx.MockRouter, sleeps: list[float]
) -> None:
    route = email_api.post("/v1/messages").respond(202, json={"id": "prov-1"})

    result = await email_provider.send(MESSAGE)

    assert result.attempts == 1
    assert result.provider_id == "prov-1"
    request = route.calls.last.request
    assert request.headers["Idempotency-Key"] == "key-123"
    assert json.loads(request.content) == {
        "from": "notifications@example.com",
        "to": "ada@example.com",
        "subject": "Hello",
        "text": "Body text",
    }
    assert sleeps == []


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.Response(503), id="503"),
        pytest.param(httpx.Response(500, text="boom"), id="500"),
        pytest.param(httpx.ReadTimeout("read timed out"), id="read-timeout"),
        pytest.param(httpx.ConnectTimeout("connect timed out"), id="connect-timeout"),
        pytest.param(httpx.ConnectError("connection refused"), id="connect-error"),
    ],
)
async def test_send_retries_transient_failures_then_succeeds(
    email_provider: EmailProvider,
    email_api: respx.MockRouter,
    sleeps: list[float],
    failure: httpx.Response | Exception,
) -> None:
    route = email_api.post("/v1/messages").mock(
        side_effect=[failure, failure, httpx.Response(200, json={"id": "ok"})]
    )

    result = await email_provider.send(MESSAGE)

    assert result.attempts == 3
    assert route.call_count == 3
    # the same key on every attempt: the provider delivers at most once
    assert {call.request.headers["Idempotency-Key"] for call in route.calls} == {"key-123"}
    assert sleeps == [0.5, 1.0]


async def test_send_gives_up_after_max_attempts_on_5xx(
    email_provider: EmailProvider, email_api: respx.MockRouter, sleeps: list[float]
) -> None:
    route = email_api.post("/v1/messages").respond(502, text="bad gateway")

    with pytest.raises(TransientDeliveryError) as raised:
        await email_provider.send(MESSAGE)

    assert raised.value.attempts == 3
    assert raised.value.reason == "HTTP 502: bad gateway"
    assert route.call_count == 3
    assert sleeps == [0.5, 1.0]


async def test_send_reports_timeout_when_every_attempt_times_out(
    email_provider: EmailProvider, email_api: respx.MockRouter
) -> None:
    email_api.post("/v1/messages").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(TransientDeliveryError, match="timeout: ReadTimeout"):
        await email_provider.send(MESSAGE)


@pytest.mark.parametrize(
    "status_code",
    [
        pytest.param(400, id="400-bad-request"),
        pytest.param(401, id="401-bad-api-key"),
        pytest.param(422, id="422-invalid-address"),
        pytest.param(429, id="429-rate-limited"),
    ],
)
async def test_send_does_not_retry_4xx(
    email_provider: EmailProvider,
    email_api: respx.MockRouter,
    sleeps: list[float],
    status_code: int,
) -> None:
    route = email_api.post("/v1/messages").respond(status_code, json={"error": "nope"})

    with pytest.raises(PermanentDeliveryError) as raised:
        await email_provider.send(MESSAGE)

    assert raised.value.attempts == 1
    assert raised.value.reason.startswith(f"HTTP {status_code}")
    assert route.call_count == 1
    assert sleeps == []


async def test_send_with_single_attempt_never_retries(
    email_api: respx.MockRouter, sleeps: list[float]
) -> None:
    route = email_api.post("/v1/messages").respond(500)
    async with httpx.AsyncClient(base_url="https://email-provider.test") as http:
        provider = EmailProvider(http, sender="s@example.com", max_attempts=1)

        with pytest.raises(TransientDeliveryError):
            await provider.send(MESSAGE)

    assert route.call_count == 1


async def test_send_tolerates_success_without_json_body(
    email_provider: EmailProvider, email_api: respx.MockRouter
) -> None:
    email_api.post("/v1/messages").respond(204)

    result = await email_provider.send(MESSAGE)

    assert result.provider_id is None


def test_provider_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        EmailProvider(MagicMock(spec=httpx.AsyncClient), sender="s@example.com", max_attempts=0)


@pytest.mark.parametrize(
    ("base", "cap", "expected"),
    [
        pytest.param(0.5, 30.0, [0.5, 1.0, 2.0, 4.0, 8.0], id="doubling"),
        pytest.param(1.0, 3.0, [1.0, 2.0, 3.0, 3.0, 3.0], id="capped"),
        pytest.param(0.0, 10.0, [0.0, 0.0, 0.0, 0.0, 0.0], id="no-wait"),
    ],
)
def test_backoff_delays_double_up_to_the_cap(
    base: float, cap: float, expected: list[float]
) -> None:
    delays = backoff_delays(base, cap)

    assert [next(delays) for _ in expected] == expected
