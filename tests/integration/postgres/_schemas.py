"""A small package schema, fresh per call so that each test builds its own template."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def package_metadata() -> MetaData:
    """Two related tables under names no other test uses."""

    class Base(DeclarativeBase):
        metadata = MetaData()

    suffix = uuid.uuid4().hex[:8]

    class Team(Base):
        __tablename__ = f"teams_{suffix}"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(40), unique=True)

    class Member(Base):
        __tablename__ = f"members_{suffix}"
        id: Mapped[int] = mapped_column(primary_key=True)
        team_id: Mapped[int] = mapped_column(ForeignKey(Team.id))

    return Base.metadata
