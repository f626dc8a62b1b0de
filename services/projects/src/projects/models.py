"""SQLAlchemy models."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from projects.db import Base
from service_kit.clock import utcnow

__all__ = ["MAX_PROJECT_ID", "NAME_MAX_LENGTH", "Project", "ProjectStatus"]

NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
SLUG_UNIQUE_CONSTRAINT = "uq_projects_organization_id_slug"
# Project ids are this service's own PostgreSQL bigints (organization and user ids are
# the users service's: service_kit.ids.MAX_ID).
MAX_PROJECT_ID = 2**63 - 1


class ProjectStatus(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class Project(Base):
    """A project of an organization. Organizations and users live in the users service:
    their ids are plain integers here, not foreign keys."""

    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("organization_id", "slug"),
        CheckConstraint("status IN ('active', 'archived')", name="status"),
        # The list endpoint: one organization, ordered by (created_at, id).
        Index("ix_projects_organization_id_created_at_id", "organization_id", "created_at", "id"),
        Index("ix_projects_organization_id_owner_id", "organization_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(BigInteger)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    slug: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(
        String(16), default=ProjectStatus.ACTIVE.value, server_default=ProjectStatus.ACTIVE.value
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )

    def __repr__(self) -> str:
        return (
            f"Project(id={self.id!r}, organization_id={self.organization_id!r}, slug={self.slug!r})"
        )
