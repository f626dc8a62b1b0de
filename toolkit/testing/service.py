"""What a package tells the toolkit's fixtures about itself, once, in its conftest."""

from __future__ import annotations

import inspect
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from toolkit.errors import ToolkitError

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from toolkit.postgres.schema import Schema

__all__ = ["Service"]


@dataclass(frozen=True, kw_only=True)
class Service:
    """The parts of an application the fixtures need, declared by the package.

    Return one from a session-scoped ``toolkit_service`` fixture in ``tests/conftest.py``;
    every field is optional, so a library without a web app declares only its schema.

    - ``app_factory``: builds the FastAPI app (``app`` and ``client`` fixtures).
    - ``get_db``: the dependency that yields a database session; the ``app`` fixture
      overrides it with the test's transactional session.
    - ``alembic_ini`` / ``metadata``: the schema of the template database; migrations
      win when both are given, since they are what production runs.
    - ``factories``: factory_boy SQLAlchemy factories (classes, or a module holding
      them) bound to each test's session while it runs.
    - ``asynchronous``: whether ``get_db`` hands out an ``AsyncSession``; guessed from
      ``get_db`` being an async function when left as None.
    """

    app_factory: Callable[[], Any] | None = None
    get_db: Callable[..., Any] | None = None
    metadata: MetaData | None = None
    alembic_ini: str | Path | None = None
    factories: Iterable[type] | ModuleType = ()
    asynchronous: bool | None = None

    def schema(self, rootdir: Path) -> Schema:
        from toolkit.postgres.schema import AlembicSchema, EmptySchema, MetadataSchema

        # Whose template it is: a newer one for the same checkout replaces older ones.
        family = f"{socket.gethostname()}:{rootdir.resolve()}"
        if self.alembic_ini is not None:
            return AlembicSchema((rootdir / self.alembic_ini).resolve(), family=family)
        if self.metadata is not None:
            return MetadataSchema(self.metadata, family=family)
        return EmptySchema()

    def is_async(self) -> bool:
        if self.asynchronous is not None:
            return self.asynchronous
        return inspect.isasyncgenfunction(self.get_db) or inspect.iscoroutinefunction(self.get_db)

    def factory_classes(self) -> list[type]:
        """The declared factories; for a module, every SQLAlchemy factory defined in it."""
        if not isinstance(self.factories, ModuleType):
            return list(self.factories)
        from factory.alchemy import SQLAlchemyModelFactory

        return [
            value
            for value in vars(self.factories).values()
            if isinstance(value, type)
            and issubclass(value, SQLAlchemyModelFactory)
            and value.__module__ == self.factories.__name__
            and not value._meta.abstract
        ]

    def require_app(self) -> tuple[Callable[[], Any], Callable[..., Any]]:
        if self.app_factory is None or self.get_db is None:
            raise ToolkitError(
                "the app fixture needs toolkit_service() to declare app_factory and get_db",
                "return Service(app_factory=create_app, get_db=get_db, ...) from a "
                "toolkit_service fixture in tests/conftest.py",
            )
        return self.app_factory, self.get_db
