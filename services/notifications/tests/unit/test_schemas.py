"""Validation rules of the request bodies."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from notifications.schemas import NotificationCreate, PreferenceIn, validate_timezone
from service_kit.ids import MAX_ID


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("UTC", id="utc"),
        pytest.param("Europe/Berlin", id="berlin"),
        pytest.param("America/Argentina/Buenos_Aires", id="three-parts"),
        pytest.param("Asia/Kolkata", id="half-hour-offset"),
    ],
)
def test_validate_timezone_accepts_iana_names(name: str) -> None:
    assert validate_timezone(name) == name


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Mars/Olympus_Mons", id="unknown-zone"),
        pytest.param("Europe/", id="trailing-slash"),
        pytest.param("/etc/passwd", id="absolute-path"),
        pytest.param("../../etc/passwd", id="path-traversal"),
        pytest.param("", id="empty"),
    ],
)
def test_validate_timezone_rejects_unknown_names(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        validate_timezone(name)


def _error_fields(error: ValidationError) -> set[str]:
    return {str(item["loc"][0]) for item in error.errors()}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"digest_hour": 24}, "digest_hour", id="hour-24"),
        pytest.param({"digest_hour": -1}, "digest_hour", id="hour-negative"),
        pytest.param({"timezone": "Nowhere/City"}, "timezone", id="unknown-timezone"),
        pytest.param({"email": "not-an-email"}, "email", id="invalid-email"),
        pytest.param({"colour": "blue"}, "colour", id="unknown-field"),
    ],
)
def test_preference_in_rejects_invalid_values(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        PreferenceIn.model_validate({"email": "ada@example.com", **changes})

    assert _error_fields(raised.value) == {field}


def test_preference_in_defaults() -> None:
    data = PreferenceIn.model_validate({"email": "ada@example.com"})

    assert data.model_dump() == {
        "email": "ada@example.com",
        "email_enabled": True,
        "in_app_enabled": True,
        "digest_enabled": False,
        "digest_hour": 8,
        "timezone": "UTC",
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param(
            {"subject": "Hi\r\nBcc: victim@example.com"}, "subject", id="header-injection"
        ),
        pytest.param({"subject": "   "}, "subject", id="blank-subject"),
        pytest.param({"subject": "x" * 201}, "subject", id="subject-too-long"),
        pytest.param({"body": ""}, "body", id="empty-body"),
        pytest.param({"body": "a\x00b"}, "body", id="nul-in-body"),
        pytest.param({"subject": "a\x00b"}, "subject", id="nul-in-subject"),
        pytest.param({"recipient_id": 0}, "recipient_id", id="recipient-zero"),
        pytest.param({"recipient_id": MAX_ID + 1}, "recipient_id", id="recipient-beyond-id-limit"),
    ],
)
def test_notification_create_rejects_invalid_values(changes: dict[str, Any], field: str) -> None:
    payload = {"recipient_id": 7, "subject": "Hello", "body": "World", **changes}

    with pytest.raises(ValidationError) as raised:
        NotificationCreate.model_validate(payload)

    assert _error_fields(raised.value) == {field}
