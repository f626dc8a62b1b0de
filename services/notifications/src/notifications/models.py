"""Database models: preferences, the outbox and the digests sent."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from notifications.db import Base
from service_kit.clock import utcnow

__all__ = ["Digest", "MessageStatus", "OutboxMessage", "Preference"]


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Preference(Base):
    __tablename__ = "preferences"
    __table_args__ = (CheckConstraint("digest_hour BETWEEN 0 AND 23", name="digest_hour_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    email: Mapped[str] = mapped_column(String(320))
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    in_app_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    digest_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    digest_hour: Mapped[int] = mapped_column(Integer, default=8, server_default=text("8"))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default=text("'UTC'"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        # What dispatch and the digest look for: a user's pending messages, oldest first.
        Index("ix_outbox_messages_status_user_id_id", "status", "user_id", "id"),
        Index("ix_outbox_messages_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    payload_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[MessageStatus] = mapped_column(
        Enum(
            MessageStatus,
            name="message_status",
            values_callable=lambda members: [member.value for member in members],
        ),
        default=MessageStatus.PENDING,
        server_default=MessageStatus.PENDING.value,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Digest(Base):
    __tablename__ = "digests"
    __table_args__ = (
        CheckConstraint("message_count > 0", name="message_count_positive"),
        Index("ix_digests_user_id_sent_at", "user_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    message_count: Mapped[int] = mapped_column(Integer)
