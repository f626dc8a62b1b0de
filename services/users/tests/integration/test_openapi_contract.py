"""Property-based contract test: every operation of the OpenAPI document, against the
real database (the test's transactional session), answers without a server error and
with responses that match the document.

The number of examples per operation comes from SCHEMATHESIS_MAX_EXAMPLES (default 25).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import MembershipFactory, UserFactory
from users.models import Role

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def caller_headers(db_session, tokens) -> dict[str, str]:
    """A signed-in caller who owns an organization, so authenticated operations run for real."""
    caller = UserFactory(email="contract@example.com")
    MembershipFactory(user=caller, role=Role.OWNER)
    return {"Authorization": f"Bearer {tokens.issue_access(caller.id, {})}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.contract
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_honours_its_openapi_document(case, caller_headers):
    case.call_and_validate(headers=caller_headers, checks=CHECKS)
