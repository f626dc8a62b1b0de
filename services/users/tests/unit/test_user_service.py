"""UserService: profile updates and password changes."""

from __future__ import annotations

import pytest

from service_kit.errors import InvalidInput
from users.schemas import UserUpdate


def test_name_change_keeps_the_password(user_service, user_repository, make_user):
    user = make_user(1, full_name="Ada")
    before = user.hashed_password

    updated = user_service.update(user, UserUpdate(full_name="Ada Lovelace"))

    assert updated.full_name == "Ada Lovelace"
    assert updated.hashed_password == before
    user_repository.commit.assert_called_once_with()


def test_explicit_null_clears_the_name(user_service, make_user):
    user = make_user(1, full_name="Ada")

    assert user_service.update(user, UserUpdate(full_name=None)).full_name is None


def test_empty_update_changes_nothing(user_service, make_user):
    user = make_user(1, full_name="Ada")

    assert user_service.update(user, UserUpdate()).full_name == "Ada"


def test_password_change_with_the_right_current_password(
    user_service, user_repository, make_user, password_hasher
):
    user = make_user(1, password="old-password-1")

    user_service.update(
        user, UserUpdate(password="new-password-2", current_password="old-password-1")
    )

    assert password_hasher.verify("new-password-2", user.hashed_password)
    assert not password_hasher.verify("old-password-1", user.hashed_password)
    user_repository.commit.assert_called_once_with()


def test_wrong_current_password_changes_nothing(user_service, user_repository, make_user):
    user = make_user(1, password="old-password-1", full_name="Ada")
    before = user.hashed_password

    with pytest.raises(InvalidInput, match="current password is incorrect"):
        user_service.update(
            user,
            UserUpdate(full_name="Mallory", password="new-password-2", current_password="guess-1"),
        )

    assert (user.hashed_password, user.full_name) == (before, "Ada")
    user_repository.commit.assert_not_called()
