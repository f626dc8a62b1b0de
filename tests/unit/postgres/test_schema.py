"""Schema fingerprints: equal for equal databases, different as soon as anything differs."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import DDL, Column, Enum, Integer, MetaData, String, Table, event

from toolkit.postgres.schema import AlembicSchema, MetadataSchema


def _metadata(labels: tuple[str, ...], listener: str | None = None) -> MetaData:
    metadata = MetaData()
    Table(
        "orders",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("state", Enum(*labels, name="order_state")),
    )
    if listener:
        event.listen(metadata, "before_create", DDL(listener))
    return metadata


def test_enum_labels_enter_the_fingerprint() -> None:
    """Before: enums ``a,b`` and ``a,b,c`` hashed the same (only CREATE TABLE was hashed)."""
    two = MetadataSchema(_metadata(("a", "b"))).fingerprint()

    assert MetadataSchema(_metadata(("a", "b"))).fingerprint() == two
    assert MetadataSchema(_metadata(("a", "b", "c"))).fingerprint() != two


def test_ddl_event_listeners_enter_the_fingerprint() -> None:
    plain = MetadataSchema(_metadata(("a",))).fingerprint()
    with_extension = _metadata(("a",), 'CREATE EXTENSION IF NOT EXISTS "citext"')

    assert MetadataSchema(with_extension).fingerprint() != plain


def _alembic_project(root: Path, sql: str) -> Path:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "migrations" / "env.py").write_text("# env\n")
    (root / "migrations" / "script.py.mako").write_text("# template\n")
    (root / "migrations" / "versions" / "0001_init.py").write_text(
        textwrap.dedent(
            """
            from pathlib import Path
            revision = "0001"
            down_revision = None
            def upgrade():
                op.execute((Path(__file__).parent / "0001_init.sql").read_text())
            """
        )
    )
    (root / "migrations" / "versions" / "0001_init.sql").write_text(sql)
    ini = root / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    return ini


def test_files_a_migration_reads_enter_the_fingerprint(tmp_path: Path) -> None:
    """Before: only ``*.py`` files were hashed, so an edited SQL file reused a stale template."""
    ini = _alembic_project(tmp_path, "CREATE TABLE a (id int);")
    before = AlembicSchema(ini).fingerprint()

    (tmp_path / "migrations" / "versions" / "0001_init.sql").write_text(
        "CREATE TABLE a (id bigint);"
    )

    assert AlembicSchema(ini).fingerprint() != before


def test_compiled_bytecode_does_not_change_the_fingerprint(tmp_path: Path) -> None:
    ini = _alembic_project(tmp_path, "CREATE TABLE a (id int);")
    before = AlembicSchema(ini).fingerprint()
    cache = tmp_path / "migrations" / "versions" / "__pycache__"
    cache.mkdir()
    (cache / "0001_init.cpython-312.pyc").write_bytes(b"\0bytecode")

    assert AlembicSchema(ini).fingerprint() == before


def _seeded(*names: str) -> MetaData:
    """A table whose rows an ``after_create`` listener inserts (seed data)."""
    metadata = MetaData()
    roles = Table("roles", metadata, Column("name", String(20), primary_key=True))

    @event.listens_for(roles, "after_create")
    def seed(target: Table, connection: Any, **_kw: Any) -> None:
        connection.execute(target.insert(), [{"name": name} for name in names])

    return metadata


def test_rows_a_listener_inserts_enter_the_fingerprint() -> None:
    """Before: only the statement was hashed (``INSERT INTO roles (name) VALUES ...``),
    not its parameters, so other seed rows reused a stale template."""
    admin = MetadataSchema(_seeded("admin")).fingerprint()

    assert MetadataSchema(_seeded("admin")).fingerprint() == admin
    assert MetadataSchema(_seeded("admin", "viewer")).fingerprint() != admin
    assert MetadataSchema(_seeded("owner")).fingerprint() != admin


def test_values_bound_in_a_listener_statement_enter_the_fingerprint() -> None:
    def seeded(value: str) -> MetaData:
        metadata = MetaData()
        flags = Table("flags", metadata, Column("name", String(20), primary_key=True))
        event.listen(
            flags,
            "after_create",
            lambda target, connection, **_kw: connection.execute(
                target.insert().values(name=value)
            ),
        )
        return metadata

    assert MetadataSchema(seeded("on")).fingerprint() != MetadataSchema(seeded("off")).fingerprint()


def test_a_listener_that_needs_a_real_connection_is_never_trusted() -> None:
    """What it would send cannot be known without running it: rebuilt every time."""
    metadata = MetaData()
    table = Table("counters", metadata, Column("id", Integer, primary_key=True))
    event.listen(
        table,
        "after_create",
        lambda target, connection, **_kw: connection.exec_driver_sql("select 1"),
    )

    assert MetadataSchema(metadata).fingerprint() != MetadataSchema(metadata).fingerprint()


def _package_with_migration(root: Path, upgrade: str) -> Path:
    """A package whose one migration reads something outside the script folder."""
    (root / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n')
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "models.py").write_text("STATES = ['new', 'done']\n")
    (root / "sql").mkdir()
    (root / "sql" / "schema.sql").write_text("CREATE TABLE a (id int);")
    (root / "tests").mkdir()
    (root / "tests" / "test_app.py").write_text("def test_x(): pass\n")
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text("# env\n")
    (versions / "0001_init.py").write_text(
        "revision = '0001'\ndown_revision = None\n\ndef upgrade():\n" + upgrade
    )
    ini = root / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    return ini


@pytest.mark.parametrize(
    ("edited", "content"),
    [
        pytest.param("sql/schema.sql", "CREATE TABLE a (id bigint);", id="sql-file-beside"),
        pytest.param("src/app/models.py", "STATES = ['new', 'done', 'gone']\n", id="app-code"),
    ],
)
def test_what_a_migration_reads_outside_its_folder_enters_the_fingerprint(
    tmp_path: Path, edited: str, content: str
) -> None:
    """Before: only the ini file and the script folder were hashed; a migration that
    ran ``sql/schema.sql`` or took enum labels from the app's code kept its template."""
    ini = _package_with_migration(
        tmp_path,
        "    from pathlib import Path\n"
        "    from app.models import STATES\n"
        "    op.execute((Path(__file__).parents[2] / 'sql' / 'schema.sql').read_text())\n"
        "    op.execute(f'CREATE TYPE state AS ENUM {tuple(STATES)}')\n",
    )
    before = AlembicSchema(ini).fingerprint()

    (tmp_path / edited).write_text(content)

    assert AlembicSchema(ini).fingerprint() != before


def test_editing_a_package_test_keeps_the_migrations_template(tmp_path: Path) -> None:
    ini = _package_with_migration(tmp_path, "    pass\n")
    before = AlembicSchema(ini).fingerprint()

    (tmp_path / "tests" / "test_app.py").write_text("def test_y(): pass\n")
    (tmp_path / ".coverage").write_text("data")

    assert AlembicSchema(ini).fingerprint() == before


def test_what_is_installed_enters_the_digest_sibling_files_included(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration importing a sibling package's models must see that package's edits."""
    from toolkit.postgres.schema import installed_digest

    site, sibling = tmp_path / "site-packages", tmp_path / "libs" / "models"
    (site / "models-0.1.dist-info").mkdir(parents=True)
    (site / "models-0.1.dist-info" / "direct_url.json").write_text(
        json.dumps({"url": sibling.as_uri(), "dir_info": {"editable": True}})
    )
    (site / "alembic-1.13.1.dist-info").mkdir()
    (sibling / "src").mkdir(parents=True)
    (sibling / "src" / "models.py").write_text("STATUSES = ['new']\n")
    (sibling / "tests").mkdir()
    monkeypatch.setattr(sys, "path", [str(site)])
    before = installed_digest()

    (sibling / "tests" / "test_models.py").write_text("def test(): pass\n")
    assert installed_digest() == before
    (sibling / "src" / "models.py").write_text("STATUSES = ['new', 'done']\n")
    edited = installed_digest()
    assert edited != before
    (site / "alembic-1.13.1.dist-info").rename(site / "alembic-1.14.0.dist-info")
    assert installed_digest() != edited
