"""The caller's identity from X-User-Id, and the admin gate of operational endpoints."""

from __future__ import annotations

import pytest

from notifications.api.deps import get_caller_id, require_admin
from notifications.config import Settings
from service_kit.errors import Forbidden, Unauthorized
from service_kit.ids import MAX_ID


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("1", 1, id="one"),
        pytest.param(" 42 ", 42, id="surrounding-spaces"),
        pytest.param(str(MAX_ID), MAX_ID, id="largest-user-id"),
    ],
)
def test_caller_id_is_parsed_from_header(raw: str, expected: int) -> None:
    assert get_caller_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        pytest.param(None, "missing X-User-Id header", id="missing"),
        pytest.param("  ", "missing X-User-Id header", id="blank"),
        pytest.param("abc", "invalid X-User-Id header", id="not-a-number"),
        pytest.param("-3", "invalid X-User-Id header", id="negative"),
        pytest.param("0", "invalid X-User-Id header", id="zero"),
        pytest.param("1.5", "invalid X-User-Id header", id="fraction"),
        pytest.param("١٢", "invalid X-User-Id header", id="non-ascii-digits"),
        pytest.param(str(MAX_ID + 1), "invalid X-User-Id header", id="beyond-the-id-limit"),
    ],
)
def test_caller_id_rejects_missing_or_invalid_header(raw: str | None, detail: str) -> None:
    with pytest.raises(Unauthorized) as raised:
        get_caller_id(raw)

    assert raised.value.detail == detail


def test_require_admin_lets_admins_through() -> None:
    assert require_admin(5, Settings(admin_user_ids=frozenset({5}))) == 5


def test_require_admin_forbids_other_callers() -> None:
    with pytest.raises(Forbidden, match="admin rights required"):
        require_admin(6, Settings(admin_user_ids=frozenset({5})))
