"""The token contract: what the issuer signs is exactly what verifiers accept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from freezegun import freeze_time

from service_kit.errors import Unauthorized
from service_kit.ids import MAX_ID
from service_kit.roles import Role
from service_kit.tokens import Claims, InvalidToken, decode_token, issue_token

SECRET = "test-secret-for-service-kit-0123456789-0123456789-abcdef"
NOW = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
NOW_TS = 1736935200


def _raw(token: str) -> dict[str, Any]:
    return jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})


def _forge(**claims: Any) -> str:
    base = {"sub": "1", "type": "access", "iat": NOW_TS, "exp": NOW_TS + 60, "orgs": {}}
    values = {name: value for name, value in (base | claims).items() if value is not None}
    return jwt.encode(values, SECRET, algorithm="HS256")


def _access(**options: Any) -> str:
    return issue_token(7, "access", secret=SECRET, now=NOW, ttl=timedelta(minutes=15), **options)


def test_access_token_carries_exactly_the_contract_claims() -> None:
    token = _access(orgs={3: Role.OWNER, 5: "member"})

    assert _raw(token) == {
        "sub": "7",
        "type": "access",
        "iat": NOW_TS,
        "exp": NOW_TS + 15 * 60,
        "orgs": {"3": "owner", "5": "member"},
    }


def test_refresh_token_lists_no_orgs() -> None:
    token = issue_token(7, "refresh", secret=SECRET, now=NOW, ttl=timedelta(days=7))

    assert "orgs" not in _raw(token)


@freeze_time(NOW)
def test_verified_access_token_gives_user_and_roles() -> None:
    claims = decode_token(_access(orgs={3: "admin"}), secret=SECRET, expected="access")

    assert claims == Claims(
        user_id=7,
        type="access",
        issued_at=NOW_TS,
        expires_at=NOW_TS + 900,
        orgs={3: Role.ADMIN},
    )


@freeze_time(NOW)
def test_verified_refresh_token_has_no_roles() -> None:
    token = issue_token(7, "refresh", secret=SECRET, now=NOW, ttl=timedelta(days=7))

    assert decode_token(token, secret=SECRET, expected="refresh").orgs == {}


def test_expired_token_is_refused() -> None:
    with (
        freeze_time(NOW + timedelta(minutes=15, seconds=1)),
        pytest.raises(InvalidToken, match="token has expired"),
    ):
        decode_token(_access(), secret=SECRET, expected="access")


def test_leeway_tolerates_clock_skew() -> None:
    with freeze_time(NOW + timedelta(minutes=15, seconds=20)):
        assert decode_token(_access(), secret=SECRET, expected="access", leeway=30).user_id == 7


@freeze_time(NOW)
@pytest.mark.parametrize(
    ("token", "expected", "message"),
    [
        pytest.param(_forge(type="refresh"), "access", "an access token is required", id="refresh"),
        pytest.param(_forge(), "refresh", "a refresh token is required", id="access"),
    ],
)
def test_token_of_the_other_type_is_refused(token: str, expected: Any, message: str) -> None:
    with pytest.raises(InvalidToken, match=message):
        decode_token(token, secret=SECRET, expected=expected)


@freeze_time(NOW)
@pytest.mark.parametrize(
    "token",
    [
        pytest.param("not-a-jwt", id="garbage"),
        pytest.param(jwt.encode({"sub": "1"}, "x" * 40, algorithm="HS256"), id="wrong-secret"),
        pytest.param(_forge(exp=None), id="no-exp"),
        pytest.param(_forge(sub=1), id="sub-not-a-string"),
        pytest.param(_forge(iat=NOW_TS + 3600), id="issued-in-the-future"),
    ],
)
def test_unverifiable_token_is_refused(token: str) -> None:
    with pytest.raises(InvalidToken, match="^invalid token$"):
        decode_token(token, secret=SECRET, expected="access")


@freeze_time(NOW)
@pytest.mark.parametrize(
    "token",
    [
        pytest.param(_forge(sub="abc"), id="sub-not-a-number"),
        pytest.param(_forge(sub="0"), id="sub-zero"),
        pytest.param(_forge(sub=str(MAX_ID + 1)), id="sub-beyond-the-id-limit"),
        pytest.param(_forge(type="id"), id="unknown-type"),
        pytest.param(_forge(iat=NOW_TS + 0.5), id="iat-not-a-whole-number"),
        pytest.param(_forge(orgs=None), id="access-without-orgs"),
        pytest.param(_forge(orgs={"7": "superuser"}), id="unknown-role"),
        pytest.param(_forge(orgs={"acme": "owner"}), id="org-id-not-a-number"),
        pytest.param(_forge(orgs={str(MAX_ID + 1): "owner"}), id="org-id-beyond-the-limit"),
        pytest.param(_forge(orgs=["7"]), id="orgs-not-a-mapping"),
    ],
)
def test_token_breaking_the_claims_contract_is_refused(token: str) -> None:
    with pytest.raises(InvalidToken, match="invalid token claims"):
        decode_token(token, secret=SECRET, expected="access")


@freeze_time(NOW)
def test_largest_id_is_accepted() -> None:
    token = _forge(sub=str(MAX_ID), orgs={str(MAX_ID): "member"})

    claims = decode_token(token, secret=SECRET, expected="access")

    assert (claims.user_id, claims.orgs) == (MAX_ID, {MAX_ID: Role.MEMBER})


def test_invalid_token_is_an_authentication_failure() -> None:
    assert issubclass(InvalidToken, Unauthorized)
