"""factory_boy factories; the toolkit binds them to each test's session."""

from __future__ import annotations

from datetime import UTC, datetime

import factory
from factory.alchemy import SQLAlchemyModelFactory

from projects.models import Project, ProjectStatus
from projects.slugs import slugify


class ProjectFactory(SQLAlchemyModelFactory):
    class Meta:
        model = Project
        sqlalchemy_session = None  # bound by the toolkit's db_session fixture
        sqlalchemy_session_persistence = "flush"

    organization_id = factory.Sequence(lambda n: 1000 + n)
    owner_id = factory.Sequence(lambda n: 5000 + n)
    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.LazyAttribute(lambda obj: slugify(obj.name))
    description = factory.Faker("sentence", nb_words=8)
    status = ProjectStatus.ACTIVE.value
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))
    updated_at = factory.LazyAttribute(lambda obj: obj.created_at)
