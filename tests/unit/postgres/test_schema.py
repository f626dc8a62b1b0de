"""Schema fingerprints: equal for equal databases, different as soon as anything differs."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqlalchemy import DDL, Column, Enum, Integer, MetaData, Table, event

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
