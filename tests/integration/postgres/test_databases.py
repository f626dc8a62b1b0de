"""Template databases and clones on a real server."""

from __future__ import annotations

import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Column, MetaData, String, Table, event

from tests.integration.postgres._schemas import package_metadata
from toolkit.postgres import databases
from toolkit.postgres.schema import AlembicSchema, EmptySchema, MetadataSchema
from toolkit.postgres.server import Server


def _tables(server: Server, database: str) -> set[str]:
    with psycopg.connect(server.dsn(database)) as connection:
        rows = connection.execute(
            "select tablename from pg_tables where schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def _databases(server: Server) -> set[str]:
    with psycopg.connect(server.dsn()) as connection:
        return {row[0] for row in connection.execute("select datname from pg_database")}


def test_clone_holds_the_schema_and_is_independent(postgres_server: Server) -> None:
    metadata = package_metadata()
    template = databases.ensure_template(postgres_server, MetadataSchema(metadata))

    first = databases.clone_database(postgres_server, template, f"clone_a_{uuid.uuid4().hex[:6]}")
    second = databases.clone_database(postgres_server, template, f"clone_b_{uuid.uuid4().hex[:6]}")
    team_table = next(name for name in metadata.tables if name.startswith("teams"))
    with psycopg.connect(postgres_server.dsn(first), autocommit=True) as connection:
        connection.execute(f"insert into {team_table} (name) values ('a')")

    assert _tables(postgres_server, first) == set(metadata.tables)
    with psycopg.connect(postgres_server.dsn(second)) as connection:
        assert connection.execute(f"select count(*) from {team_table}").fetchone() == (0,)
    databases.drop_database(postgres_server, first)
    databases.drop_database(postgres_server, second)
    assert not {first, second} & _databases(postgres_server)


def test_same_schema_reuses_its_template(postgres_server: Server) -> None:
    schema = MetadataSchema(package_metadata())

    first = databases.ensure_template(postgres_server, schema)
    second = databases.ensure_template(postgres_server, schema)

    assert first == second
    assert databases.ensure_template(postgres_server, EmptySchema()) != first


def test_concurrent_builders_build_one_template(postgres_server: Server) -> None:
    schema = MetadataSchema(package_metadata())

    with ThreadPoolExecutor(max_workers=4) as pool:
        names = set(
            pool.map(lambda _: databases.ensure_template(postgres_server, schema), range(4))
        )

    (name,) = names
    assert _tables(postgres_server, name) == set(schema.metadata.tables)
    assert not [db for db in _databases(postgres_server) if db.endswith("_building")]


def test_failed_build_leaves_no_template(postgres_server: Server) -> None:
    class Broken(EmptySchema):
        def fingerprint(self) -> str:
            return uuid.uuid4().hex

        def apply(self, url: str) -> None:
            raise RuntimeError("migration 0042 failed")

    before = _databases(postgres_server)

    with pytest.raises(RuntimeError, match="migration 0042 failed"):
        databases.ensure_template(postgres_server, Broken())

    assert _databases(postgres_server) == before


def test_new_template_of_a_family_drops_the_older_ones(postgres_server: Server) -> None:
    """Before: every schema change left its template behind on a long-lived server."""
    family = f"checkout-{uuid.uuid4().hex}"
    old = databases.ensure_template(postgres_server, MetadataSchema(package_metadata(), family))
    unrelated = databases.ensure_template(postgres_server, MetadataSchema(package_metadata()))

    new = databases.ensure_template(postgres_server, MetadataSchema(package_metadata(), family))

    names = _databases(postgres_server)
    assert new in names and unrelated in names
    assert old not in names


def test_older_template_someone_is_connected_to_is_kept(postgres_server: Server) -> None:
    family = f"checkout-{uuid.uuid4().hex}"
    old = databases.ensure_template(postgres_server, MetadataSchema(package_metadata(), family))

    with psycopg.connect(postgres_server.dsn(old)):
        databases.ensure_template(postgres_server, MetadataSchema(package_metadata(), family))
        assert old in _databases(postgres_server)

    with psycopg.connect(postgres_server.dsn()) as connection:
        row = connection.execute(
            "select datistemplate from pg_database where datname = %s", (old,)
        ).fetchone()
    assert row == (True,)  # still usable as a template


def test_salt_forces_a_new_template(postgres_server: Server, monkeypatch) -> None:
    schema = MetadataSchema(package_metadata())
    first = databases.ensure_template(postgres_server, schema)

    monkeypatch.setenv("TOOLKIT_TEMPLATE_SALT", "rebuild-please")

    assert databases.ensure_template(postgres_server, schema) != first


def test_clone_never_drops_a_database_another_run_uses(postgres_server: Server) -> None:
    """Before: creation began with DROP DATABASE ... WITH (FORCE), killing the other run."""
    template = databases.ensure_template(postgres_server, EmptySchema())
    name = f"shared_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f"create database {name}")
    try:
        with psycopg.connect(postgres_server.dsn(name)) as other_run:
            with pytest.raises(databases.InUse, match=f"database '{name}' .* is in use"):
                databases.clone_database(postgres_server, template, name)
            databases.drop_database(postgres_server, name)

            assert other_run.execute("select 1").fetchone() == (1,)
    finally:
        databases.drop_database(postgres_server, name)
    assert name not in _databases(postgres_server)


def test_clone_replaces_an_unused_leftover(postgres_server: Server) -> None:
    template = databases.ensure_template(postgres_server, MetadataSchema(package_metadata()))
    name = f"leftover_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f"create database {name}")

    databases.clone_database(postgres_server, template, name)

    assert _tables(postgres_server, name) == _tables(postgres_server, template)
    databases.drop_database(postgres_server, name)


def _requested_checkpoints(server: Server) -> int:
    """Checkpoints asked for so far (``FILE_COPY`` asks for two per clone)."""
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as connection:
        connection.execute("select pg_stat_clear_snapshot()")
        if connection.info.server_version >= 170000:
            query = "select num_requested from pg_stat_checkpointer"
        else:
            query = "select checkpoints_req from pg_stat_bgwriter"
        row = connection.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def test_a_throwaway_server_clones_by_copying_files(postgres_server: Server) -> None:
    # The test server runs without fsync, as every server the toolkit starts does.
    template = databases.ensure_template(postgres_server, EmptySchema())
    before = _requested_checkpoints(postgres_server)

    name = databases.clone_database(postgres_server, template, f"copy_{uuid.uuid4().hex[:6]}")

    try:
        assert _requested_checkpoints(postgres_server) >= before + 1
    finally:
        databases.drop_database(postgres_server, name)


def test_a_database_another_session_recreated_is_left_to_it(postgres_server: Server) -> None:
    """Before: a process dropped every database it had once created under that name
    WITH (FORCE), even after another session had dropped it and made its own there,
    killing that session's connections."""
    template = databases.ensure_template(postgres_server, EmptySchema())
    name = databases.clone_database(postgres_server, template, f"mine_{uuid.uuid4().hex[:8]}")
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f"drop database {name}")
        admin.execute(f"create database {name}")  # theirs now, same name
    try:
        with psycopg.connect(postgres_server.dsn(name)) as theirs:
            note = databases.drop_database(postgres_server, name)

            assert theirs.execute("select 1").fetchone() == (1,)
        assert note is not None
        assert note == (
            f"database {name!r} on {postgres_server.host}:{postgres_server.port} is no longer "
            "the one this process created (another session made its own under that name); "
            "it was left alone"
        )
        assert name in _databases(postgres_server)
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")


def test_its_own_database_is_replaced_even_while_in_use(postgres_server: Server) -> None:
    """The very database this process created (same OID) is still replaced at once."""
    template = databases.ensure_template(postgres_server, EmptySchema())
    name = databases.clone_database(postgres_server, template, f"mine_{uuid.uuid4().hex[:8]}")
    with psycopg.connect(postgres_server.dsn(name)) as stale:
        databases.clone_database(postgres_server, template, name)

        with pytest.raises(psycopg.OperationalError):
            stale.execute("select 1")
    assert databases.drop_database(postgres_server, name) is None
    assert name not in _databases(postgres_server)


def _rows(server: Server, database: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(server.dsn(database)) as connection:
        return connection.execute(query).fetchall()


def _seeded(*names: str) -> MetaData:
    metadata = MetaData()
    roles = Table("roles", metadata, Column("name", String(20), primary_key=True))
    event.listen(
        roles,
        "after_create",
        lambda target, connection, **_kw: connection.execute(
            target.insert(), [{"name": name} for name in names]
        ),
    )
    return metadata


def test_other_listener_rows_rebuild_the_template(postgres_server: Server) -> None:
    """Before: rows an ``after_create`` listener inserted were not fingerprinted; a
    long-lived server kept handing out the template with the old rows."""
    first = databases.ensure_template(postgres_server, MetadataSchema(_seeded("admin")))
    second = databases.ensure_template(postgres_server, MetadataSchema(_seeded("admin", "viewer")))

    assert second != first
    assert _rows(postgres_server, second, "select name from roles order by name") == [
        ("admin",),
        ("viewer",),
    ]


ENV_PY = """
from alembic import context
context.configure(connection=context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
"""

#: A migration that runs a SQL file kept outside the script folder.
READS_SQL = """
from pathlib import Path
from alembic import op

revision = "0001"
down_revision = None

def upgrade():
    op.execute((Path(__file__).parents[2] / "sql" / "schema.sql").read_text())
"""


def test_an_edited_sql_file_a_migration_reads_rebuilds_the_template(
    postgres_server: Server, tmp_path: Path
) -> None:
    """Before: only the script folder was fingerprinted; editing ``sql/schema.sql``
    beside it kept the stale template on a long-lived server."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n')
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text(ENV_PY)
    (tmp_path / "migrations" / "versions" / "0001_schema.py").write_text(READS_SQL)
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "schema.sql").write_text("CREATE TABLE notes (id int);")
    ini = tmp_path / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    first = databases.ensure_template(postgres_server, AlembicSchema(ini))

    (tmp_path / "sql" / "schema.sql").write_text("CREATE TABLE notes (id int, body text);")
    second = databases.ensure_template(postgres_server, AlembicSchema(ini))

    assert second != first
    columns = "select column_name from information_schema.columns where table_name = 'notes'"
    assert sorted(_rows(postgres_server, second, columns)) == [("body",), ("id",)]


#: Clones a marked database of its own, reports its name, and dies without cleaning up.
KILLED_OWNER = """
import os, sys
from toolkit.postgres import databases
from toolkit.postgres.urls import parse_url

server = parse_url(sys.argv[1], source="test")
name = databases.clone_database(server, sys.argv[2], sys.argv[3], mark_owner=True)
print(name, flush=True)
os.kill(os.getpid(), 9)
"""


def test_databases_of_killed_processes_are_swept_and_live_ones_kept(
    postgres_server: Server,
) -> None:
    """Per-process names are never reused, so a run killed outright would leave its
    database on a long-lived server for good: the next process drops it."""
    template = databases.ensure_template(postgres_server, EmptySchema())
    killed = f"killed_{uuid.uuid4().hex[:8]}"
    mine = databases.clone_database(
        postgres_server, template, f"live_{uuid.uuid4().hex[:8]}", mark_owner=True
    )
    unmarked = databases.clone_database(postgres_server, template, f"plain_{uuid.uuid4().hex[:8]}")
    child = subprocess.run(
        [sys.executable, "-c", KILLED_OWNER, postgres_server.dsn(), template, killed],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert child.stdout.strip() == killed, child.stderr
    assert killed in _databases(postgres_server)

    try:
        assert killed in databases.drop_abandoned(postgres_server)
        assert killed not in _databases(postgres_server)
        assert {mine, unmarked} <= _databases(postgres_server)
    finally:
        for name in (mine, unmarked):
            databases.drop_database(postgres_server, name)
