"""AuthService over mocked repositories: registration, login, refresh, authentication."""

from __future__ import annotations

from unittest.mock import MagicMock

import jwt
import pytest
from sqlalchemy.exc import IntegrityError

from service_kit.errors import Conflict, Unauthorized
from tests.conftest import TEST_JWT_SECRET
from users.models import Role
from users.schemas import UserCreate
from users.services.auth import BAD_CREDENTIALS


def _integrity_error(constraint: str | None, sqlstate: str = "23505") -> IntegrityError:
    orig = MagicMock(sqlstate=sqlstate)
    orig.diag.constraint_name = constraint
    return IntegrityError("INSERT ...", {}, orig)


def _access_claims(token: str) -> dict:
    return jwt.decode(token, TEST_JWT_SECRET, algorithms=["HS256"])


class TestRegister:
    def test_stores_a_hash_commits_and_signs_in(
        self, auth_service, user_repository, password_hasher
    ):
        result = auth_service.register(
            UserCreate(email="New@Example.com", password="long-enough-1", full_name="Ada")
        )

        stored = user_repository.add.call_args.args[0]
        assert stored.email == "new@example.com"
        assert stored.hashed_password != "long-enough-1"
        assert password_hasher.verify("long-enough-1", stored.hashed_password)
        user_repository.commit.assert_called_once_with()
        assert result.user.email == "new@example.com"
        assert result.token_type == "bearer"
        assert _access_claims(result.access_token)["sub"] == "1"
        assert "password" not in result.model_dump_json()

    def test_known_email_is_a_conflict_without_insert(
        self, auth_service, user_repository, make_user
    ):
        user_repository.get_by_email.return_value = make_user(5)

        with pytest.raises(Conflict, match="already registered"):
            auth_service.register(UserCreate(email="user5@example.com", password="long-enough-1"))

        user_repository.add.assert_not_called()
        user_repository.commit.assert_not_called()

    def test_losing_a_race_on_the_unique_email_is_a_conflict(self, auth_service, user_repository):
        user_repository.add.side_effect = _integrity_error("uq_users_email")

        with pytest.raises(Conflict, match="already registered"):
            auth_service.register(UserCreate(email="race@example.com", password="long-enough-1"))

        user_repository.rollback.assert_called_once_with()

    @pytest.mark.parametrize(
        "error",
        [
            pytest.param(_integrity_error("some_other_constraint"), id="other-unique"),
            pytest.param(_integrity_error("fk_x", sqlstate="23503"), id="foreign-key"),
        ],
    )
    def test_other_integrity_errors_are_not_disguised(self, auth_service, user_repository, error):
        user_repository.add.side_effect = error

        with pytest.raises(IntegrityError):
            auth_service.register(UserCreate(email="x@example.com", password="long-enough-1"))

        user_repository.rollback.assert_called_once_with()


class TestLogin:
    def test_right_password_gets_tokens_listing_memberships(
        self, auth_service, user_repository, membership_repository, make_user
    ):
        user_repository.get_by_email.return_value = make_user(3, password="right-password-1")
        membership_repository.roles_of.return_value = {10: Role.OWNER, 11: Role.MEMBER}

        pair = auth_service.login("user3@example.com", "right-password-1")

        claims = _access_claims(pair.access_token)
        assert claims["sub"] == "3"
        assert claims["orgs"] == {"10": "owner", "11": "member"}
        membership_repository.roles_of.assert_called_once_with(3)

    @pytest.mark.parametrize(
        ("known", "password", "active"),
        [
            pytest.param(False, "right-password-1", True, id="unknown-email"),
            pytest.param(True, "wrong-password-1", True, id="wrong-password"),
            pytest.param(True, "right-password-1", False, id="inactive-user"),
        ],
    )
    def test_every_failure_gets_the_same_answer(
        self, auth_service, user_repository, make_user, known, password, active
    ):
        if known:
            user_repository.get_by_email.return_value = make_user(
                3, password="right-password-1", is_active=active
            )

        with pytest.raises(Unauthorized) as caught:
            auth_service.login("user3@example.com", password)

        assert caught.value.detail == BAD_CREDENTIALS

    def test_unknown_email_still_pays_for_a_hash(
        self, user_repository, membership_repository, tokens
    ):
        from users.services import AuthService

        hasher = MagicMock()
        service = AuthService(user_repository, membership_repository, hasher, tokens)

        with pytest.raises(Unauthorized):
            service.login("nobody@example.com", "any-password-1")

        hasher.waste_time.assert_called_once_with("any-password-1")


class TestRefreshAndAuthenticate:
    def test_refresh_issues_a_new_pair_with_current_memberships(
        self, auth_service, user_repository, membership_repository, tokens, make_user
    ):
        user_repository.get.return_value = make_user(8)
        membership_repository.roles_of.return_value = {12: Role.ADMIN}

        pair = auth_service.refresh(tokens.issue_refresh(8))

        assert _access_claims(pair.access_token)["orgs"] == {"12": "admin"}
        assert tokens.user_id(pair.refresh_token, "refresh") == 8
        user_repository.get.assert_called_once_with(8)

    def test_refresh_refuses_an_access_token(self, auth_service, tokens):
        with pytest.raises(Unauthorized, match="token is required"):
            auth_service.refresh(tokens.issue_access(8, {}))

    @pytest.mark.parametrize(
        "stored",
        [pytest.param("missing", id="deleted-user"), pytest.param("inactive", id="inactive-user")],
    )
    def test_tokens_of_gone_or_inactive_users_are_refused(
        self, auth_service, user_repository, tokens, make_user, stored
    ):
        user_repository.get.return_value = (
            None if stored == "missing" else make_user(8, is_active=False)
        )

        with pytest.raises(Unauthorized):
            auth_service.refresh(tokens.issue_refresh(8))
        with pytest.raises(Unauthorized):
            auth_service.authenticate(tokens.issue_access(8, {}))

    def test_authenticate_returns_the_tokens_user(
        self, auth_service, user_repository, tokens, make_user
    ):
        user = make_user(9)
        user_repository.get.return_value = user

        assert auth_service.authenticate(tokens.issue_access(9, {})) is user
