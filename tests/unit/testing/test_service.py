from __future__ import annotations

import types
from pathlib import Path

import factory
import pytest
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from toolkit.errors import ToolkitError
from toolkit.postgres.schema import AlembicSchema, EmptySchema, MetadataSchema
from toolkit.testing import Service


class _Base(DeclarativeBase):
    pass


class _Thing(_Base):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


def test_schema_prefers_migrations_over_metadata(tmp_path: Path) -> None:
    service = Service(metadata=_Base.metadata, alembic_ini="alembic.ini")

    schema = service.schema(tmp_path)

    assert isinstance(schema, AlembicSchema)
    assert schema.ini == tmp_path / "alembic.ini"


def test_schema_falls_back_to_metadata_then_nothing(tmp_path: Path) -> None:
    schema = Service(metadata=_Base.metadata).schema(tmp_path)

    assert isinstance(schema, MetadataSchema) and schema.metadata is _Base.metadata
    assert isinstance(Service().schema(tmp_path), EmptySchema)


def test_schema_family_is_the_package_checkout(tmp_path: Path) -> None:
    """A newer template of the same checkout replaces older ones on a long-lived server."""
    one = Service(metadata=_Base.metadata).schema(tmp_path / "a")
    again = Service(metadata=_Base.metadata).schema(tmp_path / "a")
    other = Service(metadata=_Base.metadata).schema(tmp_path / "b")

    assert one.family == again.family != other.family
    assert str(tmp_path / "a") in one.family


def test_metadata_fingerprint_follows_the_tables() -> None:
    other = MetaData()
    _Thing.__table__.to_metadata(other, name="renamed_things")

    assert (
        MetadataSchema(_Base.metadata).fingerprint() == MetadataSchema(_Base.metadata).fingerprint()
    )
    assert MetadataSchema(_Base.metadata).fingerprint() != MetadataSchema(other).fingerprint()


def test_factories_from_a_module_are_its_own_concrete_sqlalchemy_factories() -> None:
    module = types.ModuleType("fake_factories")

    class ThingFactory(SQLAlchemyModelFactory):
        class Meta:
            model = _Thing

    class AbstractFactory(SQLAlchemyModelFactory):
        class Meta:
            abstract = True

    class PlainFactory(factory.Factory):
        class Meta:
            model = dict

    for cls in (ThingFactory, AbstractFactory, PlainFactory):
        cls.__module__ = module.__name__
        setattr(module, cls.__name__, cls)
    module.SQLAlchemyModelFactory = SQLAlchemyModelFactory  # imported, not defined here

    assert Service(factories=module).factory_classes() == [ThingFactory]


def test_is_async_is_guessed_from_get_db() -> None:
    def sync_get_db():
        yield None

    async def async_get_db():
        yield None

    assert not Service(get_db=sync_get_db).is_async()
    assert Service(get_db=async_get_db).is_async()
    assert not Service(get_db=async_get_db, asynchronous=False).is_async()


def test_app_fixture_needs_app_factory_and_get_db() -> None:
    with pytest.raises(ToolkitError, match="declare app_factory and get_db"):
        Service(metadata=_Base.metadata).require_app()
