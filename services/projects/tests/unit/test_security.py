"""Access token verification: the users service's claims contract, HS256, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from freezegun import freeze_time

from projects.security import Principal, decode_access_token
from service_kit.roles import Role
from service_kit.tokens import InvalidToken
from tests.tokens import TEST_SECRET, encode, make_claims, make_token


def decode(token: str, **kwargs) -> Principal:
    return decode_access_token(token, secret=TEST_SECRET, **kwargs)


def test_valid_access_token_gives_user_and_roles_per_organization() -> None:
    token = make_token(42, {"7": "owner", "8": "admin", "9": "member"})

    principal = decode(token)

    assert principal == Principal(user_id=42, orgs={7: Role.OWNER, 8: Role.ADMIN, 9: Role.MEMBER})
    assert principal.role_in(8) is Role.ADMIN
    assert principal.role_in(10) is None


def test_token_without_organizations_is_valid_with_no_memberships() -> None:
    assert decode(make_token(42, {})).orgs == {}


@freeze_time("2025-06-01 12:00:00")
def test_token_is_valid_until_its_expiry() -> None:
    token = make_token(1, {"7": "member"}, lifetime=timedelta(minutes=15))

    with freeze_time("2025-06-01 12:14:59"):
        assert decode(token).user_id == 1


@freeze_time("2025-06-01 12:00:00")
def test_expired_token_is_rejected() -> None:
    token = make_token(1, {"7": "member"}, lifetime=timedelta(minutes=15))

    with freeze_time("2025-06-01 12:15:01"), pytest.raises(InvalidToken, match="expired"):
        decode(token)


@freeze_time("2025-06-01 12:00:00")
def test_leeway_tolerates_small_clock_skew() -> None:
    token = make_token(1, lifetime=timedelta(minutes=15))

    with freeze_time("2025-06-01 12:15:20"):
        assert decode(token, leeway=30).user_id == 1


def test_refresh_token_is_not_accepted_as_access() -> None:
    with pytest.raises(InvalidToken, match="access token is required"):
        decode(make_token(1, {"7": "owner"}, token_type="refresh"))


def test_token_signed_with_another_key_is_rejected() -> None:
    token = make_token(1, secret="another-secret-that-is-long-enough-0123456789")

    with pytest.raises(InvalidToken, match="invalid token"):
        decode(token)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("not-a-jwt", id="garbage"),
        pytest.param("a.b.c", id="three-garbage-segments"),
    ],
)
def test_malformed_token_is_rejected(token: str) -> None:
    with pytest.raises(InvalidToken):
        decode(token)


def test_unsigned_alg_none_token_is_rejected() -> None:
    token = jwt.encode(make_claims(1, {"7": "owner"}), key=None, algorithm="none")

    with pytest.raises(InvalidToken):
        decode(token)


def test_token_with_another_hmac_algorithm_is_rejected() -> None:
    token = encode(make_claims(1, {"7": "owner"}), algorithm="HS512")

    with pytest.raises(InvalidToken, match="invalid token"):
        decode(token)


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param("sub", id="missing-sub"),
        pytest.param("type", id="missing-type"),
        pytest.param("iat", id="missing-iat"),
        pytest.param("exp", id="missing-exp"),
        pytest.param("orgs", id="missing-orgs"),
    ],
)
def test_token_missing_a_contract_claim_is_rejected(claim: str) -> None:
    claims = make_claims(1, {"7": "member"})
    del claims[claim]

    with pytest.raises(InvalidToken):
        decode(encode(claims))


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"sub": "alice"}, id="non-numeric-sub"),
        pytest.param({"sub": "0"}, id="zero-sub"),
        pytest.param({"sub": str(2**63)}, id="sub-beyond-bigint"),
        pytest.param({"type": "id"}, id="unknown-type"),
        pytest.param({"orgs": {"7": "superuser"}}, id="unknown-role"),
        pytest.param({"orgs": {"acme": "owner"}}, id="non-numeric-org-id"),
        pytest.param({"orgs": ["7"]}, id="orgs-not-a-mapping"),
    ],
)
def test_token_with_malformed_claims_is_rejected(changes: dict) -> None:
    claims = make_claims(1, {"7": "member"}) | changes

    with pytest.raises(InvalidToken, match="claims"):
        decode(encode(claims))


def test_token_issued_in_the_future_is_rejected() -> None:
    later = datetime.now(UTC) + timedelta(hours=1)

    with pytest.raises(InvalidToken):
        decode(make_token(1, issued_at=later))


@pytest.mark.parametrize(
    "role,manages",
    [
        pytest.param(Role.OWNER, True, id="owner"),
        pytest.param(Role.ADMIN, True, id="admin"),
        pytest.param(Role.MEMBER, False, id="member"),
    ],
)
def test_only_org_owners_and_admins_manage_all_projects(role: Role, manages: bool) -> None:
    assert role.is_manager is manages
