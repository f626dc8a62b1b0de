"""Contract test: schemathesis generates requests from the app's OpenAPI schema and
sends them in-process to the app of the toolkit's `app` fixture, so every example runs
against this test's transactional session on the real database.

No response may be a 5xx or violate the documented schema (status code, content type,
headers, body). Examples per operation and mode: SCHEMATHESIS_MAX_EXAMPLES (default 25).

Schemathesis's own pytest integration (`schemathesis.pytest.from_fixture(...)` with
`@schema.parametrize()`) fails under pytest 9.2 (it sets `Function._nodeid`, which
pytest 9.2 no longer has), so the test drives its public Python API instead:
`schemathesis.openapi.from_asgi(...)`, `operation.as_strategy(...)` and
`case.call_and_validate(...)` inside a Hypothesis `@given`.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from projects.config import Settings
from projects.main import create_app
from projects.models import MAX_PROJECT_ID, Project
from service_kit.ids import MAX_ID
from tests.factories import ProjectFactory
from tests.tokens import TEST_SECRET, bearer, make_token

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation, read at collection time from a throwaway app."""
    spec = create_app(Settings(jwt_secret=TEST_SECRET)).openapi()
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _valid_id(value: object, limit: int = MAX_ID) -> bool:
    return type(value) is int and 1 <= value <= limit


def _authorise(case, db_session: Session) -> dict[str, str]:
    """A token that makes the caller owner of the case's organization (so reads and
    writes are allowed) and, for even project ids, a project stored under that id:
    found and not-found paths both run."""
    parameters = case.path_parameters or {}
    org_id, project_id = parameters.get("org_id"), parameters.get("project_id")
    orgs = {org_id: "owner"} if _valid_id(org_id) else {}
    seed = bool(orgs) and _valid_id(project_id, MAX_PROJECT_ID) and project_id % 2 == 0
    if seed and db_session.get(Project, project_id) is None:
        ProjectFactory(id=project_id, organization_id=org_id)
    return bearer(make_token(1, orgs))


@pytest.mark.contract
@pytest.mark.parametrize("mode", [pytest.param(mode, id=mode.value) for mode in GenerationMode])
@pytest.mark.parametrize(
    "method,path", [pytest.param(*operation, id=" ".join(operation)) for operation in _operations()]
)
def test_operation_conforms_to_its_openapi_schema(
    app, db_session: Session, method: str, path: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema[path][method]

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        case.call_and_validate(headers=_authorise(case, db_session), checks=CHECKS)

    check()


@pytest.mark.contract
def test_requests_without_token_are_rejected_as_documented(app) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema["/api/v1/organizations/{org_id}/projects"]["GET"]

    @settings(max_examples=5, deadline=None, database=None)
    @given(case=operation.as_strategy())
    def check(case) -> None:
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code == 401

    check()
