"""Request and response bodies (pydantic v2)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from notifications.models import MessageStatus
from service_kit.ids import MAX_ID

__all__ = [
    "MAX_PAGE_SIZE",
    "MESSAGE_ID_MAX",
    "DigestRunResult",
    "DispatchResult",
    "NotificationCreate",
    "NotificationOut",
    "NotificationPage",
    "PreferenceIn",
    "PreferenceOut",
    "validate_timezone",
]

# message ids are PostgreSQL integers
MESSAGE_ID_MAX = 2**31 - 1
MAX_PAGE_SIZE = 100


def validate_timezone(value: str) -> str:
    """An IANA zone name that ``zoneinfo`` knows, e.g. ``Europe/Berlin``."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def _single_line(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("must be a single line")
    return value


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL characters
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


TimeZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["Europe/Berlin"]),
    AfterValidator(validate_timezone),
]
# User ids are the users service's (stored as bigint here, but never larger than MAX_ID).
UserId = Annotated[int, Field(ge=1, le=MAX_ID)]


class PreferenceIn(BaseModel):
    """The full set of a user's preferences (PUT replaces them)."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[EmailStr, Field(max_length=320)]
    email_enabled: bool = True
    in_app_enabled: bool = True
    digest_enabled: bool = False
    digest_hour: Annotated[int, Field(ge=0, le=23)] = 8
    timezone: TimeZoneName = "UTC"


class PreferenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    email: str
    email_enabled: bool
    in_app_enabled: bool
    digest_enabled: bool
    digest_hour: int
    timezone: str
    updated_at: datetime


class NotificationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient_id: UserId
    subject: Annotated[
        str,
        Field(min_length=1, max_length=200),
        AfterValidator(_not_blank),
        AfterValidator(_single_line),
        AfterValidator(_no_nul),
    ]
    body: Annotated[
        str,
        Field(min_length=1, max_length=10_000),
        AfterValidator(_not_blank),
        AfterValidator(_no_nul),
    ]


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    recipient_id: int = Field(validation_alias="user_id")
    subject: str
    body: str
    status: MessageStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    limit: int
    offset: int


class DispatchResult(BaseModel):
    """What one dispatch run did: delivered, given up, left pending for the next run."""

    sent: int = 0
    failed: int = 0
    retried: int = 0


class DigestRunResult(BaseModel):
    digests_sent: int = 0
    messages_included: int = 0
    failed: int = 0
