"""Property-based contract test: each operation of the OpenAPI document, against the
real database (this test's transactional session), answers without a server error and
with a documented status, content type and body.

Examples per operation: SCHEMATHESIS_MAX_EXAMPLES (default 25).

Cases come from ``operation.as_strategy()`` driven by Hypothesis directly, one pytest
test per operation, rather than from ``schemathesis.pytest.from_fixture``: the lazy
loader of schemathesis 4.32 reads ``request.node._nodeid``, which pytest 9 removed
(AttributeError before any example runs).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import TEST_JWT_SECRET
from tests.factories import MembershipFactory, UserFactory
from users.config import Settings
from users.main import create_app
from users.models import Role

pytestmark = pytest.mark.contract

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Collected from the document itself, so a new endpoint is covered without editing this file.
OPERATIONS = [
    (method.upper(), path)
    for path, item in create_app(Settings(jwt_secret=TEST_JWT_SECRET)).openapi()["paths"].items()
    for method in item
]


@pytest.fixture
def caller(db_session, tokens) -> dict:
    """A signed-in owner of an organization with one other member, so that some examples
    reach real rows instead of 404s."""
    owner = UserFactory(email="contract@example.com")
    organization = MembershipFactory(user=owner, role=Role.OWNER).organization
    member = MembershipFactory(organization=organization, role=Role.MEMBER).user
    return {
        "headers": {"Authorization": f"Bearer {tokens.issue_access(owner.id, {})}"},
        "ids": {"organization_id": organization.id, "user_id": member.id},
    }


@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(m, p, id=f"{m} {p}") for m, p in OPERATIONS]
)
def test_operation_honours_the_openapi_document(app, caller, method, path):
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path][method]

    @given(case=operation.as_strategy(), known_ids=st.booleans())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def examples(case, known_ids):
        if known_ids and case.path_parameters:
            case.path_parameters.update(
                {name: caller["ids"][name] for name in case.path_parameters}
            )
        case.call_and_validate(headers=caller["headers"], checks=CHECKS)

    examples()
