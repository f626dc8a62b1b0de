"""Request and response bodies (pydantic v2). No response model has a password field."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from users.models import Role

__all__ = [
    "AuthResponse",
    "LoginRequest",
    "MemberAdd",
    "MemberRead",
    "OrganizationCreate",
    "OrganizationDetail",
    "OrganizationRead",
    "RefreshRequest",
    "TokenPair",
    "UserCreate",
    "UserRead",
    "UserUpdate",
    "check_password_policy",
]

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128


def check_password_policy(password: str) -> str:
    """At least 10 characters (length is checked by the field) with a letter and a digit."""
    if not any(char.isalpha() for char in password):
        raise ValueError("password must contain at least one letter")
    if not any(char.isdigit() for char in password):
        raise ValueError("password must contain at least one digit")
    return password


def _printable(value: str) -> str:
    """Text stored in the database: no control characters (PostgreSQL refuses NUL)."""
    if any(unicodedata.category(char) in {"Cc", "Cs"} for char in value):
        raise ValueError("must not contain control characters")
    return value


def _lower(value: str) -> str:
    return value.lower()


Email = Annotated[EmailStr, AfterValidator(_lower)]
NewPassword = Annotated[
    str,
    Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH),
    AfterValidator(check_password_policy),
]
AnyPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(min_length=2, max_length=63, pattern=SLUG_PATTERN)]


class UserCreate(BaseModel):
    email: Email
    password: NewPassword
    full_name: Name | None = None


class UserUpdate(BaseModel):
    """A partial update; changing the password needs the current one."""

    full_name: Name | None = None
    password: NewPassword | None = None
    current_password: Annotated[AnyPassword | None, Field(validate_default=True)] = None

    @field_validator("current_password")
    @classmethod
    def _required_with_password(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("password") is not None:
            raise ValueError("the current password is required to set a new one")
        return value


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str | None
    is_active: bool
    created_at: datetime


class LoginRequest(BaseModel):
    email: Email
    password: AnyPassword


class RefreshRequest(BaseModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=4096)]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"


class AuthResponse(TokenPair):
    user: UserRead


class OrganizationCreate(BaseModel):
    name: Name
    slug: Slug


class OrganizationRead(BaseModel):
    """An organization as seen by one of its members, with that member's role."""

    id: int
    name: str
    slug: str
    role: Role


class MemberRead(BaseModel):
    user_id: int
    email: str
    full_name: str | None
    role: Role


class OrganizationDetail(OrganizationRead):
    members: list[MemberRead]


class MemberAdd(BaseModel):
    email: Email
    role: Role = Role.MEMBER
