"""Validation rules of the request bodies: the password policy, emails, names, slugs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from users.models import Role
from users.schemas import (
    AuthResponse,
    MemberAdd,
    OrganizationCreate,
    UserCreate,
    UserRead,
    UserUpdate,
)

VALID_PASSWORD = "abcdefghi1"


def _error_fields(error: ValidationError) -> list[str]:
    return [str(item["loc"][-1]) for item in error.errors()]


class TestPasswordPolicy:
    @pytest.mark.parametrize(
        "password",
        [
            pytest.param("abcdefghi1", id="ten-chars-letter-digit"),
            pytest.param("Ünïcödé-pässwörd-9", id="unicode-letters"),
            pytest.param("a1" * 64, id="max-length-128"),
        ],
    )
    def test_accepts_policy_compliant_passwords(self, password):
        assert UserCreate(email="a@example.com", password=password).password == password

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            pytest.param("abcdefgh1", "at least 10 characters", id="nine-chars"),
            pytest.param("abcdefghij", "digit", id="no-digit"),
            pytest.param("1234567890", "letter", id="no-letter"),
            pytest.param("------!!!!", "letter", id="symbols-only"),
            pytest.param("a1" * 64 + "x", "at most 128 characters", id="too-long"),
        ],
    )
    def test_rejects_weak_passwords_on_the_password_field(self, password, message):
        with pytest.raises(ValidationError, match=message) as caught:
            UserCreate(email="a@example.com", password=password)

        assert _error_fields(caught.value) == ["password"]


class TestEmail:
    def test_email_is_lowercased(self):
        assert UserCreate(email="Alice@Example.COM", password=VALID_PASSWORD).email == (
            "alice@example.com"
        )

    @pytest.mark.parametrize(
        "email",
        [
            pytest.param("no-at-sign", id="no-at"),
            pytest.param("@example.com", id="no-local-part"),
            pytest.param("user@", id="no-domain"),
            pytest.param("user @example.com", id="space"),
            pytest.param("x" * 250 + "@example.com", id="too-long"),
        ],
    )
    def test_invalid_email_is_rejected_on_the_email_field(self, email):
        with pytest.raises(ValidationError) as caught:
            UserCreate(email=email, password=VALID_PASSWORD)

        assert _error_fields(caught.value) == ["email"]


class TestNames:
    def test_full_name_is_stripped(self):
        user = UserCreate(email="a@example.com", password=VALID_PASSWORD, full_name="  Ada  ")

        assert user.full_name == "Ada"

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("", id="empty"),
            pytest.param("   ", id="blank"),
            pytest.param("Ada\x00Lovelace", id="nul-byte"),
            pytest.param("Ada\nLovelace", id="newline"),
            pytest.param("x" * 201, id="too-long"),
        ],
    )
    def test_unusable_names_are_rejected(self, name):
        with pytest.raises(ValidationError) as caught:
            OrganizationCreate(name=name, slug="acme")

        assert _error_fields(caught.value) == ["name"]

    @pytest.mark.parametrize(
        ("slug", "valid"),
        [
            pytest.param("acme", True, id="word"),
            pytest.param("acme-corp-2", True, id="hyphenated"),
            pytest.param("Acme", False, id="uppercase"),
            pytest.param("acme_corp", False, id="underscore"),
            pytest.param("-acme", False, id="leading-hyphen"),
            pytest.param("acme--corp", False, id="double-hyphen"),
            pytest.param("a", False, id="too-short"),
            pytest.param("a" * 64, False, id="too-long"),
        ],
    )
    def test_slug_format(self, slug, valid):
        if valid:
            assert OrganizationCreate(name="Acme", slug=slug).slug == slug
        else:
            with pytest.raises(ValidationError) as caught:
                OrganizationCreate(name="Acme", slug=slug)
            assert _error_fields(caught.value) == ["slug"]


class TestUserUpdate:
    def test_new_password_requires_the_current_one(self):
        with pytest.raises(ValidationError, match="current password is required") as caught:
            UserUpdate(password="new-password-2")

        assert _error_fields(caught.value) == ["current_password"]

    def test_name_only_update_needs_no_password(self):
        update = UserUpdate(full_name="Grace")

        assert update.model_fields_set == {"full_name"}

    def test_password_change_with_current_password(self):
        update = UserUpdate(password="new-password-2", current_password="old")

        assert (update.password, update.current_password) == ("new-password-2", "old")

    def test_new_password_follows_the_policy(self):
        with pytest.raises(ValidationError) as caught:
            UserUpdate(password="short1", current_password="old-password-1")

        assert _error_fields(caught.value) == ["password"]


class TestMemberAdd:
    def test_role_defaults_to_member(self):
        assert MemberAdd(email="b@example.com").role is Role.MEMBER

    def test_unknown_role_is_rejected(self):
        with pytest.raises(ValidationError) as caught:
            MemberAdd(email="b@example.com", role="superuser")

        assert _error_fields(caught.value) == ["role"]


def test_no_response_model_exposes_a_password():
    fields = set(UserRead.model_fields) | set(AuthResponse.model_fields)

    assert not {name for name in fields if "password" in name}
