"""Request and response bodies (pydantic v2)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from projects.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, ProjectStatus
from projects.slugs import slugify

__all__ = [
    "ProjectCreate",
    "ProjectList",
    "ProjectRead",
    "ProjectUpdate",
    "storable_text",
]


def storable_text(value: str) -> str:
    """Text PostgreSQL can store: no NUL character (pydantic already refuses lone
    surrogates)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _has_slug(value: str) -> str:
    if not slugify(value):
        raise ValueError("must contain at least one letter or digit")
    return value


def _omittable_not_null(schema: dict[str, Any]) -> None:
    """Fields that may be omitted but not null: no `default: null` in their schema."""
    for field in schema.get("properties", {}).values():
        if field.get("default", ...) is None:
            del field["default"]


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_LENGTH),
    # Documented in the schema; enforced (with a clearer message) by _has_slug.
    Field(json_schema_extra={"pattern": r"[^\W_]"}),
    AfterValidator(storable_text),
    AfterValidator(_has_slug),
]
Description = Annotated[
    str, Field(max_length=DESCRIPTION_MAX_LENGTH), AfterValidator(storable_text)
]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description = ""


class ProjectUpdate(BaseModel):
    """Only the fields present are changed; none of them may be null."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_omittable_not_null)

    # The None defaults are never validated: an explicit null is a 422.
    name: Name = None  # type: ignore[assignment]
    description: Description = None  # type: ignore[assignment]
    status: ProjectStatus = None  # type: ignore[assignment]

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, by name."""
        return self.model_dump(exclude_unset=True)


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organization_id: int
    owner_id: int
    name: str
    slug: str
    description: str
    status: ProjectStatus
    created_at: datetime
    updated_at: datetime


class ProjectList(BaseModel):
    items: list[ProjectRead]
    total: int = Field(ge=0)
    limit: int = Field(ge=1, le=100)
    offset: int = Field(ge=0)
