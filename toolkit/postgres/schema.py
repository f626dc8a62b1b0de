"""What goes into a template database: Alembic migrations, SQLAlchemy metadata, or nothing.

A schema has a fingerprint so that the template built from it can be found again: on
a long-lived server (``TOOLKIT_POSTGRES_URL``) an unchanged schema is not rebuilt, and
a changed one gets a new template instead of stale tables.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from toolkit.errors import ToolkitError

if TYPE_CHECKING:
    from sqlalchemy import MetaData

__all__ = ["AlembicSchema", "EmptySchema", "MetadataSchema", "Schema"]


class Schema(Protocol):
    def fingerprint(self) -> str:
        """Equal for schemas that produce the same database."""

    def apply(self, url: str) -> None:
        """Create the schema in the (empty) database at SQLAlchemy ``url``."""


class EmptySchema:
    def fingerprint(self) -> str:
        return "empty"

    def apply(self, url: str) -> None:
        return None


@dataclass(frozen=True)
class MetadataSchema:
    metadata: MetaData

    def fingerprint(self) -> str:
        from sqlalchemy.dialects import postgresql
        from sqlalchemy.schema import CreateIndex, CreateTable

        dialect = postgresql.dialect()
        digest = hashlib.sha256()
        for table in self.metadata.sorted_tables:
            digest.update(str(CreateTable(table).compile(dialect=dialect)).encode())
            for index in sorted(table.indexes, key=lambda index: str(index.name)):
                digest.update(str(CreateIndex(index).compile(dialect=dialect)).encode())
        return digest.hexdigest()

    def apply(self, url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        engine = create_engine(url, poolclass=NullPool)
        try:
            self.metadata.create_all(engine)
        finally:
            engine.dispose()


@dataclass(frozen=True)
class AlembicSchema:
    """Migrations run to ``head``; env.py receives the connection in ``config.attributes``
    and the URL as ``sqlalchemy.url``, so either common env.py style works."""

    ini: Path

    def _config(self):  # -> alembic.config.Config
        try:
            from alembic.config import Config
        except ImportError:
            raise ToolkitError(
                f"{self.ini} declares Alembic migrations but alembic is not installed",
                "add alembic to the package's dependencies",
            ) from None
        if not self.ini.is_file():
            raise ToolkitError(f"Alembic config {self.ini} does not exist", "fix the path")
        return Config(str(self.ini))

    def fingerprint(self) -> str:
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(self._config())
        digest = hashlib.sha256(self.ini.read_bytes())
        root = Path(script.dir)
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def apply(self, url: str) -> None:
        from alembic import command
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        config = self._config()
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            engine.dispose()
