"""Contract: schemathesis generates requests from the app's OpenAPI schema and checks every
response: no 5xx, status codes, content types, headers and bodies as documented.

The schema is loaded with ``schemathesis.openapi.from_asgi`` from the plugin's ``app``; the
requests go through the plugin's ``client`` in the test's event loop, so every example runs
against the real PostgreSQL inside this test's transaction (rolled back afterwards).
Hypothesis runs in a worker thread and hands each request back to the event loop.

``SCHEMATHESIS_MAX_EXAMPLES`` bounds the examples per operation and mode (default 25).
"""

from __future__ import annotations

import os
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import pytest
import respx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from notifications.main import create_app
from tests.conftest import ADMIN_ID
from tests.integration.conftest import OTHER_USER_ID, USER_ID

pytestmark = [pytest.mark.anyio, pytest.mark.contract]

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

OPERATIONS = [
    pytest.param("GET", "/health", id="health"),
    pytest.param("GET", "/api/v1/preferences", id="get-preferences"),
    pytest.param("PUT", "/api/v1/preferences", id="put-preferences"),
    pytest.param("POST", "/api/v1/notifications", id="create-notification"),
    pytest.param("GET", "/api/v1/notifications", id="list-notifications"),
    pytest.param("GET", "/api/v1/notifications/{notification_id}", id="get-notification"),
    pytest.param("POST", "/api/v1/outbox/dispatch", id="dispatch-outbox"),
    pytest.param("POST", "/api/v1/digests/run", id="run-digests"),
]
# Negative data needs an input to break; /health takes none.
CASES = [
    pytest.param(*param.values, mode, id=f"{param.id}-{mode.value}")
    for param in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if not (mode is GenerationMode.NEGATIVE and param.id == "health")
]

# Who calls: known users and the admin, or whatever schemathesis generated (mostly 401s).
CALLERS = st.sampled_from([str(USER_ID), str(OTHER_USER_ID), str(ADMIN_ID), None])


@pytest.fixture
def api_schema(app: Any) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def provider_accepts_everything(email_api: respx.MockRouter) -> respx.Route:
    return email_api.post("/v1/messages").respond(202, json={"id": "contract"})


def _httpx_kwargs(case: Case) -> dict[str, Any]:
    """Schemathesis serialises for `requests`; translate to httpx's arguments."""
    kwargs = case.as_transport_kwargs(base_url="http://test")
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": kwargs.get("headers") or {},
        "params": kwargs.get("params"),
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        request["content"] = data.encode() if isinstance(data, str) else data
    return request


def test_every_operation_is_covered() -> None:
    documented = {
        (method.upper(), path)
        for path, item in create_app().openapi()["paths"].items()
        for method in item
    }

    assert documented == {tuple(param.values) for param in OPERATIONS}


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
async def test_operation_conforms_to_schema(
    api_schema: schemathesis.BaseSchema,
    client: httpx.AsyncClient,
    provider_accepts_everything: respx.Route,
    backoff_sleeps: list[float],
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    operation = api_schema[path][method]
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), caller=CALLERS)
    def run_examples(case: Case, caller: str | None) -> None:
        if caller is not None:
            case.headers = {**(case.headers or {}), "X-User-Id": caller}
        request = _httpx_kwargs(case)
        response = anyio.from_thread.run(lambda: client.request(**request))
        case.validate_response(response, checks=checks)

    try:
        await anyio.to_thread.run_sync(run_examples)
    except BaseExceptionGroup as group:
        # schemathesis reports several failures as a BaseExceptionGroup, which anyio's
        # test runner does not survive (the fixtures' teardown would fail too).
        _, other = group.split(Exception)
        if other is not None:
            raise
        raise AssertionError(f"schema violations: {group!r}") from group
