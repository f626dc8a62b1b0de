"""Password hashing and the JWT claims contract shared with other services."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from freezegun import freeze_time

from service_kit.errors import Unauthorized
from tests.conftest import TEST_JWT_SECRET
from users.api.deps import get_password_hasher, get_token_service
from users.config import get_settings
from users.security import PasswordHasher, TokenService

NOW = "2025-01-15 10:00:00"
NOW_TS = 1736935200  # 2025-01-15 10:00:00 UTC


def _claims(token: str) -> dict:
    return jwt.decode(token, TEST_JWT_SECRET, algorithms=["HS256"], options={"verify_exp": False})


def _forge(claims: dict, secret: str = TEST_JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


class TestPasswordHasher:
    def test_production_hasher_uses_argon2id(self):
        hashed = get_password_hasher().hash("correct horse 1")

        assert hashed.startswith("$argon2id$")
        assert "correct horse 1" not in hashed

    def test_hash_verifies_only_the_same_password(self, password_hasher: PasswordHasher):
        hashed = password_hasher.hash("s3cret-password")

        assert password_hasher.verify("s3cret-password", hashed)
        assert not password_hasher.verify("s3cret-passworD", hashed)

    def test_same_password_hashes_differently_each_time(self, password_hasher: PasswordHasher):
        assert password_hasher.hash("s3cret-password") != password_hasher.hash("s3cret-password")


class TestTokenClaims:
    @freeze_time(NOW)
    def test_access_token_carries_exactly_the_contract_claims(self, tokens: TokenService):
        token = tokens.issue_access(7, {3: "owner", 5: "member"})

        assert _claims(token) == {
            "sub": "7",
            "type": "access",
            "iat": NOW_TS,
            "exp": NOW_TS + 15 * 60,
            "orgs": {"3": "owner", "5": "member"},
        }

    @freeze_time(NOW)
    def test_refresh_token_lives_seven_days_and_lists_no_orgs(self, tokens: TokenService):
        token = tokens.issue_refresh(7)

        assert _claims(token) == {
            "sub": "7",
            "type": "refresh",
            "iat": NOW_TS,
            "exp": NOW_TS + 7 * 24 * 3600,
        }

    @freeze_time(NOW)
    def test_lifetimes_come_from_settings(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("USERS_ACCESS_TOKEN_EXPIRE_MINUTES", "5")
        monkeypatch.setenv("USERS_REFRESH_TOKEN_EXPIRE_DAYS", "1")
        get_settings.cache_clear()
        service = get_token_service(get_settings())

        assert _claims(service.issue_access(1, {}))["exp"] == NOW_TS + 5 * 60
        assert _claims(service.issue_refresh(1))["exp"] == NOW_TS + 24 * 3600

    def test_token_is_signed_with_hs256(self, tokens: TokenService):
        assert jwt.get_unverified_header(tokens.issue_access(1, {}))["alg"] == "HS256"


class TestTokenVerification:
    @pytest.mark.parametrize(
        ("kind", "issue"),
        [
            pytest.param("access", lambda t: t.issue_access(42, {1: "admin"}), id="access"),
            pytest.param("refresh", lambda t: t.issue_refresh(42), id="refresh"),
        ],
    )
    def test_valid_token_names_its_user(self, tokens: TokenService, kind, issue):
        assert tokens.user_id(issue(tokens), kind) == 42

    @pytest.mark.parametrize(
        ("elapsed", "valid"),
        [
            pytest.param(timedelta(minutes=14, seconds=59), True, id="just-before-expiry"),
            pytest.param(timedelta(minutes=15, seconds=1), False, id="just-after-expiry"),
            pytest.param(timedelta(days=1), False, id="a-day-later"),
        ],
    )
    def test_access_token_expires_after_fifteen_minutes(self, tokens, elapsed, valid):
        with freeze_time(NOW) as frozen:
            token = tokens.issue_access(1, {})
            frozen.tick(elapsed)
            if valid:
                assert tokens.user_id(token, "access") == 1
            else:
                with pytest.raises(Unauthorized, match="expired"):
                    tokens.user_id(token, "access")

    def test_refresh_token_expires_after_seven_days(self, tokens: TokenService):
        with freeze_time(NOW) as frozen:
            token = tokens.issue_refresh(1)
            frozen.tick(timedelta(days=6, hours=23))
            assert tokens.user_id(token, "refresh") == 1
            frozen.tick(timedelta(hours=2))
            with pytest.raises(Unauthorized, match="expired"):
                tokens.user_id(token, "refresh")

    @pytest.mark.parametrize(
        ("issue", "expected"),
        [
            pytest.param(lambda t: t.issue_access(1, {}), "refresh", id="access-as-refresh"),
            pytest.param(lambda t: t.issue_refresh(1), "access", id="refresh-as-access"),
        ],
    )
    def test_token_of_the_other_type_is_refused(self, tokens: TokenService, issue, expected):
        with pytest.raises(Unauthorized, match="token is required"):
            tokens.user_id(issue(tokens), expected)

    @freeze_time(NOW)
    @pytest.mark.parametrize(
        "token",
        [
            pytest.param("not-a-jwt", id="garbage"),
            pytest.param(
                _forge({"sub": "1", "type": "access", "iat": NOW_TS, "exp": NOW_TS + 60}, "x" * 40),
                id="wrong-secret",
            ),
            pytest.param(
                _forge(
                    {"sub": "1", "type": "access", "iat": NOW_TS, "exp": NOW_TS + 60}, "", "none"
                ),
                id="alg-none",
            ),
            pytest.param(_forge({"sub": "1", "type": "access", "iat": NOW_TS}), id="no-exp"),
            pytest.param(
                _forge({"type": "access", "iat": NOW_TS, "exp": NOW_TS + 60}), id="no-sub"
            ),
            pytest.param(_forge({"sub": "1", "iat": NOW_TS, "exp": NOW_TS + 60}), id="no-type"),
            pytest.param(
                _forge({"sub": "abc", "type": "access", "iat": NOW_TS, "exp": NOW_TS + 60}),
                id="sub-not-a-number",
            ),
            pytest.param(
                _forge({"sub": "99999999999", "type": "access", "iat": NOW_TS, "exp": NOW_TS + 60}),
                id="sub-out-of-range",
            ),
            pytest.param(
                _forge({"sub": 1, "type": "access", "iat": NOW_TS, "exp": NOW_TS + 60}),
                id="sub-not-a-string",
            ),
        ],
    )
    def test_malformed_or_forged_token_is_refused(self, tokens: TokenService, token: str):
        with pytest.raises(Unauthorized, match="invalid token"):
            tokens.user_id(token, "access")
