"""What goes into a template database: Alembic migrations, SQLAlchemy metadata, or nothing.

A schema has a fingerprint so that the template built from it can be found again: on
a long-lived server (``TOOLKIT_POSTGRES_URL``) an unchanged schema is not rebuilt, and
a changed one gets a new template instead of stale tables. A fingerprint that misses
an input is worse than none (a template that no longer matches the code, on a green
run), so each one covers everything its schema can depend on, and errs on the side of
a rebuild: what metadata would send, parameters included; for migrations, every file
of the package they can read.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from toolkit.errors import ToolkitError

if TYPE_CHECKING:
    from sqlalchemy import MetaData

__all__ = [
    "AlembicSchema",
    "EmptySchema",
    "MetadataSchema",
    "Schema",
    "installed_digest",
    "package_files",
]


# What never decides a template's contents: tooling folders and build output.
_SKIPPED_DIRS = {"__pycache__", "node_modules", "build", "dist", "reports", "htmlcov"}


def package_files(root: Path, skip: Collection[Path] = ()) -> Iterator[Path]:
    """Every file under ``root`` that code building a template may read, in a stable
    order: all but hidden folders, virtual environments, tooling and build output,
    bytecode, coverage data and ``skip``."""
    for folder, dirs, files in os.walk(root):
        current = Path(folder)
        dirs[:] = sorted(
            name
            for name in dirs
            if not name.startswith(".")
            and name not in _SKIPPED_DIRS
            and not name.endswith(".egg-info")
            and current / name not in skip
            and not (current / name / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            if not name.endswith((".pyc", ".pyo")) and not name.startswith(".coverage"):
                yield current / name


def _hash_files(digest: Any, root: Path, paths: Iterator[Path], seen: set[Path]) -> None:
    for path in paths:
        if path in seen:
            continue
        seen.add(path)
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            continue  # vanished, unreadable or a dangling link: nothing to read there either


def installed_digest(skip: Collection[Path] = ()) -> str:
    """What is installed where the schema is built: Python's version, every
    distribution's name and version, and the files of those installed from a local
    folder (editable or not: a sibling package of a monorepo whose models a migration
    imports). A template kept across runs must change when any of them does.

    ``skip`` names folders already hashed (the package itself).
    """
    import json
    from urllib.parse import unquote, urlsplit

    digest = hashlib.sha256(sys.version.encode() + b"\0")
    seen: set[Path] = set()
    skipped = {path.resolve() for path in skip}
    # The metadata folders' names say name and version (``alembic-1.13.1.dist-info``):
    # listing them costs milliseconds where parsing every METADATA file cost 0.2 s.
    rows = []
    for entry in dict.fromkeys(sys.path):
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                info = Path(entry or ".") / name
                try:
                    direct = (info / "direct_url.json").read_text()
                except OSError:
                    direct = ""
                rows.append((name, direct, info))
    for name, direct, info in sorted(rows, key=lambda row: row[:2]):
        digest.update(f"{name}\0{direct}\0".encode())
        if not direct or name.lower().replace("_", "-").startswith(f"{_TOOLKIT}-"):
            continue  # the toolkit runs the schema's commands, writes none of it
        try:
            url = str(json.loads(direct).get("url", ""))
        except ValueError:
            continue
        folder = Path(unquote(urlsplit(url).path)) if url.startswith("file://") else None
        if folder is not None and folder.is_dir():
            if folder.resolve() not in skipped:
                tests = {folder / test for test in _TEST_DIRS}
                _hash_files(digest, folder, package_files(folder, tests), seen)
        else:
            try:
                digest.update((info / "RECORD").read_bytes())
            except OSError:
                continue
    return digest.hexdigest()


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
        """Every statement ``create_all`` would send, in order, with its parameters:
        tables and indexes, but also enum types (their labels), sequences, DDL from event
        listeners and rows they insert (``after_create`` seed data).

        A listener that needs a real connection (one that reads what it wrote, or calls
        what a mock cannot answer) makes the statements unknowable without running them:
        the fingerprint is then new each time, and the template is rebuilt every run
        rather than trusted stale.
        """
        from sqlalchemy import create_mock_engine

        digest = hashlib.sha256()

        def record(sql: Any, parameters: Any = None, *_args: Any, **_kwargs: Any) -> None:
            compiled = sql.compile(dialect=engine.dialect)
            digest.update(str(compiled).strip().encode() + b"\0")
            try:
                bound = compiled.params
            except Exception:
                bound = None
            digest.update(f"{_stable(bound)}\0{_stable(parameters)}\0".encode())

        engine = create_mock_engine("postgresql+psycopg://", record)
        try:
            self.metadata.create_all(engine, checkfirst=False)
        except Exception:
            return f"unknowable:{secrets.token_hex(16)}"
        return digest.hexdigest()

    def apply(self, url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        engine = create_engine(url, poolclass=NullPool)
        try:
            self.metadata.create_all(engine)
        finally:
            engine.dispose()


def _stable(value: Any) -> str:
    """Statement parameters as text that is equal for equal values across processes
    (mappings in key order); a value whose repr differs per process only costs a
    rebuild."""
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(
                f"{key!r}: {_stable(item)}"
                for key, item in sorted(value.items(), key=lambda pair: repr(pair[0]))
            )
            + "}"
        )
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_stable(item) for item in value) + "]"
    return repr(value)


#: Folders of a package that hold its tests: read by no migration.
_TEST_DIRS = ("tests", "test")
#: The toolkit's own distribution.
_TOOLKIT = "monorepo-toolkit"
#: What marks a package's root folder.
_PACKAGE_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")


@dataclass(frozen=True)
class AlembicSchema:
    """Migrations run to ``head``; env.py receives the connection in ``config.attributes``
    and the URL as ``sqlalchemy.url``, so either common env.py style works.

    ``root`` is the package the migrations belong to (by default the nearest folder
    above the ini file holding a ``pyproject.toml``, ``setup.py`` or ``setup.cfg``,
    else the ini file's folder): its files are what migrations can read.
    """

    ini: Path
    family: str | None = None
    root: Path | None = None
    #: Migrations are slow to run: the built template is kept across runs.
    stored: ClassVar[bool] = True

    def package_root(self) -> Path:
        if self.root is not None:
            return self.root
        folder = self.ini.resolve().parent
        for candidate in (folder, *folder.parents):
            if any((candidate / marker).is_file() for marker in _PACKAGE_MARKERS):
                return candidate
        return folder

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
        """Everything the migrations can read: the ini file, every file under the script
        folder and ``version_locations`` (wherever they are), and every file of the
        package but its tests (SQL and data files beside the scripts, the app's own
        code a migration imports enum labels or models from)."""
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(self._config())
        digest = hashlib.sha256(self.ini.read_bytes())
        roots = [Path(script.dir), *(Path(location) for location in script.version_locations)]
        seen: set[Path] = set()
        for root in roots:
            digest.update(b"scripts\0")
            _hash_files(digest, root, package_files(root), seen)
        package = self.package_root()
        digest.update(b"package\0")
        skip = {package / name for name in _TEST_DIRS}
        _hash_files(digest, package, package_files(package, skip), seen)
        digest.update(f"installed\0{installed_digest([package])}".encode())
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
