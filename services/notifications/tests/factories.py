"""factory_boy factories for the models.

The toolkit's plugin binds every factory here to the test's session: with the async
``app`` that is ``async_db_session.sync_session``, so the factories only ``add`` their
objects (``sqlalchemy_session_persistence = None``) and the next awaited query, or an
``await async_db_session.flush()``, writes them.
"""

from __future__ import annotations

import hashlib

import factory
from factory.alchemy import SQLAlchemyModelFactory

from notifications.models import Digest, MessageStatus, OutboxMessage, Preference
from service_kit.clock import utcnow


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = None  # bound per test by the toolkit's plugin
        sqlalchemy_session_persistence = None


class PreferenceFactory(_Base):
    class Meta:
        model = Preference

    user_id = factory.Sequence(lambda n: 1000 + n)
    email = factory.LazyAttribute(lambda obj: f"user{obj.user_id}@example.com")
    email_enabled = True
    in_app_enabled = True
    digest_enabled = False
    digest_hour = 8
    timezone = "UTC"
    updated_at = factory.LazyFunction(utcnow)


class OutboxMessageFactory(_Base):
    class Meta:
        model = OutboxMessage

    user_id = factory.Sequence(lambda n: 1000 + n)
    subject = factory.Sequence(lambda n: f"Subject {n}")
    body = factory.Faker("paragraph", nb_sentences=2)
    idempotency_key = factory.Sequence(lambda n: f"factory-key-{n}")
    payload_hash = factory.LazyAttribute(
        lambda obj: hashlib.sha256(obj.idempotency_key.encode()).hexdigest()
    )
    status = MessageStatus.PENDING
    attempts = 0
    last_error = None
    created_at = factory.LazyFunction(utcnow)
    sent_at = None


class DigestFactory(_Base):
    class Meta:
        model = Digest

    user_id = factory.Sequence(lambda n: 1000 + n)
    sent_at = factory.LazyFunction(utcnow)
    message_count = 1
