"""Integration fixtures: callers with access tokens in the users service's format.

The app, the client and the transactional database session come from the toolkit's
plugin (see tests/conftest.py); factories are bound to the same session the app uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest

from tests.integration.helpers import ORG_ID, OTHER_ORG_ID
from tests.tokens import bearer, make_token


@dataclass(frozen=True)
class Caller:
    """A user with a valid access token; ``headers`` go on the request."""

    user_id: int
    headers: dict[str, str]


MakeCaller = Callable[..., Caller]


@pytest.fixture
def make_caller() -> MakeCaller:
    """``make_caller(user_id, {org_id: role, ...}, token_type="access")``."""

    def make(user_id: int, orgs: Mapping[int, str] | None = None, **token_options) -> Caller:
        return Caller(user_id, bearer(make_token(user_id, orgs or {}, **token_options)))

    return make


@pytest.fixture
def member(make_caller: MakeCaller) -> Caller:
    return make_caller(11, {ORG_ID: "member"})


@pytest.fixture
def other_member(make_caller: MakeCaller) -> Caller:
    return make_caller(12, {ORG_ID: "member"})


@pytest.fixture
def admin(make_caller: MakeCaller) -> Caller:
    return make_caller(13, {ORG_ID: "admin"})


@pytest.fixture
def org_owner(make_caller: MakeCaller) -> Caller:
    return make_caller(14, {ORG_ID: "owner"})


@pytest.fixture
def outsider(make_caller: MakeCaller) -> Caller:
    """Owner of another organization, not a member of ORG_ID."""
    return make_caller(99, {OTHER_ORG_ID: "owner"})
