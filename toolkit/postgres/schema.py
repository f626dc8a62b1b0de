"""What goes into a template database: Alembic migrations, SQLAlchemy metadata, or nothing.

A schema has a fingerprint so that the template built from it can be found again: on
a long-lived server (``TOOLKIT_POSTGRES_URL``) an unchanged schema is not rebuilt, and
a changed one gets a new template instead of stale tables.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

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
    """Tables from SQLAlchemy metadata. ``family`` names whose schema it is (a package's
    folder): a newer template of the same family replaces older ones on a server."""

    metadata: MetaData
    family: str | None = None

    def fingerprint(self) -> str:
        """Every statement ``create_all`` would send, in order: tables and indexes, but
        also enum types (their labels), sequences, and DDL from event listeners."""
        from sqlalchemy import create_mock_engine

        statements: list[str] = []

        def record(sql: Any, *_args: Any, **_kwargs: Any) -> None:
            statements.append(str(sql.compile(dialect=engine.dialect)).strip())

        engine = create_mock_engine("postgresql+psycopg://", record)
        self.metadata.create_all(engine, checkfirst=False)
        digest = hashlib.sha256()
        for statement in statements:
            digest.update(statement.encode() + b"\0")
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
    family: str | None = None

    def _config(self) -> Any:  # alembic.config.Config, imported only when used
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
        """The ini file and every file under the script folder and ``version_locations``:
        migrations read SQL files, data files and helpers, not only ``*.py``."""
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(self._config())
        digest = hashlib.sha256(self.ini.read_bytes())
        roots = [Path(script.dir), *(Path(location) for location in script.version_locations)]
        seen: set[Path] = set()
        for root in roots:
            for path in sorted(root.rglob("*")):
                if path in seen or not path.is_file() or "__pycache__" in path.parts:
                    continue
                seen.add(path)
                digest.update(str(path.relative_to(root)).encode() + b"\0")
                try:
                    digest.update(path.read_bytes())
                except OSError:
                    continue  # vanished or unreadable: nothing a migration could read either
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
