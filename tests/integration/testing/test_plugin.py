"""The pytest plugin, exercised the way packages use it: a real inner pytest run.

Inner runs are subprocesses (``runpytest_subprocess``) so the plugin loads through its
entry point exactly as in a user's venv. They share the outer session's server
through ``DATABASE_URL``, except where the test is about the plugin's own server.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from tests.integration.conftest import leftovers
from toolkit.postgres.server import Server

APP = '''
from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy import String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


def register(session: Session, name: str) -> Item:
    """Application code that commits, as real services do."""
    item = Item(name=name)
    session.add(item)
    session.commit()
    return item


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Item))


def get_db():
    raise RuntimeError("production database: must be overridden in tests")


async def get_async_db():
    raise RuntimeError("production database: must be overridden in tests")
    yield


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/items/{name}", status_code=201)
    def create(name: str, db: Session = Depends(get_db)) -> dict:
        try:
            register(db, name)
        except IntegrityError:
            db.rollback()
            raise HTTPException(409, "taken")
        return {"name": name}

    @app.get("/items")
    def names(db: Session = Depends(get_db)) -> list[str]:
        return list(db.scalars(select(Item.name).order_by(Item.name)))

    return app


def create_async_app() -> FastAPI:
    app = FastAPI()

    @app.post("/items/{name}", status_code=201)
    async def create(name: str, db: AsyncSession = Depends(get_async_db)) -> dict:
        db.add(Item(name=name))
        await db.commit()
        return {"name": name}

    @app.get("/items")
    async def names(db: AsyncSession = Depends(get_async_db)) -> list[str]:
        return list(await db.scalars(select(Item.name).order_by(Item.name)))

    return app
'''

CONFTEST = """
import factory
import pytest
from factory.alchemy import SQLAlchemyModelFactory

import inner_app
from toolkit.testing import Service


class ItemFactory(SQLAlchemyModelFactory):
    class Meta:
        model = inner_app.Item
        sqlalchemy_session_persistence = "flush"

    name = factory.Sequence(lambda n: f"item-{{n}}")


@pytest.fixture(scope="session")
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def toolkit_service():
    return Service(
        app_factory=inner_app.{factory},
        get_db=inner_app.{get_db},
        metadata=inner_app.Base.metadata,
        factories=[ItemFactory],
    )
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, postgres_server: Server, monkeypatch) -> pytest.Pytester:
    """An inner package using the sync app, on the outer session's server."""
    pytester.makepyfile(inner_app=APP)
    pytester.makeconftest(CONFTEST.format(factory="create_app", get_db="get_db"))
    pytester.makefile(".toml", pyproject='[project]\nname = "inner"\nversion = "0"\n')
    monkeypatch.setenv("DATABASE_URL", postgres_server.dsn("inner"))  # as nox sets it
    return pytester


def _database_names(server: Server) -> set[str]:
    with psycopg.connect(server.dsn()) as connection:
        return {row[0] for row in connection.execute("select datname from pg_database")}


def test_db_session_rolls_back_code_that_commits(inner: pytest.Pytester, postgres_server) -> None:
    inner.makepyfile(
        test_commits="""
        import pytest
        from inner_app import count, register

        @pytest.mark.parametrize("attempt", ["first", "second", "third"])
        def test_commit_is_undone_after_the_test(db_session, attempt):
            assert count(db_session) == 0
            register(db_session, "same-name-each-time")
            assert count(db_session) == 1
        """
    )

    result = inner.runpytest_subprocess("-p", "no:randomly")

    result.assert_outcomes(passed=3)
    assert not [name for name in _database_names(postgres_server) if name.startswith("test_inner")]


def test_db_session_fails_a_test_that_sees_leftover_rows(inner: pytest.Pytester) -> None:
    """The counterpart: without the fixture's rollback the same check does fail."""
    inner.makepyfile(
        test_leak="""
        from sqlalchemy.orm import Session
        from inner_app import count, register

        def test_writes_outside_the_fixture(engine):
            with Session(engine) as session:
                register(session, "leaked")

        def test_sees_the_leak(db_session):
            assert count(db_session) == 0
        """
    )

    result = inner.runpytest_subprocess("-p", "no:randomly")

    result.assert_outcomes(passed=1, failed=1)


def test_async_db_session_rolls_back_async_commits(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        test_async="""
        import pytest
        from sqlalchemy import func, select
        from inner_app import Item

        pytestmark = pytest.mark.anyio

        @pytest.mark.parametrize("attempt", ["first", "second"])
        async def test_async_commit_is_undone(async_db_session, attempt):
            count = select(func.count()).select_from(Item)
            assert await async_db_session.scalar(count) == 0
            async_db_session.add(Item(name="async"))
            await async_db_session.commit()
            assert await async_db_session.scalar(count) == 1
        """
    )

    result = inner.runpytest_subprocess("-p", "no:randomly")

    result.assert_outcomes(passed=2)


def test_app_client_and_factories_share_the_test_session(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        test_api="""
        import pytest
        from conftest import ItemFactory
        from inner_app import count

        pytestmark = pytest.mark.anyio

        async def test_client_sees_factory_rows_and_commits(client, db_session):
            ItemFactory(name="made-by-factory")
            response = await client.post("/items/made-by-api")
            assert response.status_code == 201
            assert (await client.get("/items")).json() == ["made-by-api", "made-by-factory"]
            assert (await client.post("/items/made-by-api")).status_code == 409

        def test_nothing_is_left_from_the_other_test(db_session):
            assert count(db_session) == 0

        def test_factories_are_unbound_outside_a_database_test():
            assert ItemFactory._meta.sqlalchemy_session is None
        """
    )

    result = inner.runpytest_subprocess("-p", "no:randomly")

    result.assert_outcomes(passed=3)


def test_app_on_async_sessions_gets_async_db_session(inner: pytest.Pytester) -> None:
    inner.makeconftest(CONFTEST.format(factory="create_async_app", get_db="get_async_db"))
    inner.makepyfile(
        test_async_api="""
        import pytest

        pytestmark = pytest.mark.anyio

        @pytest.mark.parametrize("attempt", ["first", "second"])
        async def test_async_app_writes_are_rolled_back(client, attempt):
            assert (await client.get("/items")).json() == []
            assert (await client.post("/items/once")).status_code == 201
            assert (await client.get("/items")).json() == ["once"]
        """
    )

    result = inner.runpytest_subprocess("-p", "no:randomly")

    result.assert_outcomes(passed=2)


def test_async_app_in_a_sync_test_says_what_to_do(inner: pytest.Pytester) -> None:
    inner.makeconftest(CONFTEST.format(factory="create_async_app", get_db="get_async_db"))
    inner.makepyfile(test_sync="def test_sync_uses_async_app(app):\n    pass\n")

    result = inner.runpytest_subprocess("-p", "no:randomly")

    result.assert_outcomes(errors=1)  # a fixture error, at setup
    result.stdout.fnmatch_lines(
        ["*get_db is async*make it `async def` and mark it with pytest.mark.anyio*"]
    )


def test_each_xdist_worker_gets_its_own_database(inner: pytest.Pytester, tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    seen.mkdir()
    inner.makepyfile(
        test_workers=f"""
        import os, pathlib
        import pytest
        from sqlalchemy import text

        @pytest.mark.parametrize("n", range(8))
        def test_record_database(db_session, n):
            name = db_session.scalar(text("select current_database()"))
            worker = os.environ["PYTEST_XDIST_WORKER"]
            pathlib.Path({str(seen)!r}, f"{{worker}}-{{n}}").write_text(name)
        """
    )

    result = inner.runpytest_subprocess("-n", "2", "-p", "no:randomly")

    result.assert_outcomes(passed=8)
    by_worker = {path.name.split("-")[0]: path.read_text() for path in seen.iterdir()}
    assert sorted(by_worker) == ["gw0", "gw1"]
    for worker, name in by_worker.items():  # a server others may share: a name of its own
        assert re.fullmatch(f"test_inner_{worker}_[0-9a-f]{{8}}", name), name


def test_plugin_starts_its_own_server_without_database_url(
    inner: pytest.Pytester, runtime_dir: Path, monkeypatch
) -> None:
    monkeypatch.delenv("DATABASE_URL")
    inner.makepyfile(
        test_own="""
        from sqlalchemy import text

        def test_database_is_the_package_s_own(db_session):
            assert db_session.scalar(text("select current_database()")) == "test_inner"
            assert db_session.scalar(text("select count(*) from items")) == 0
        """
    )

    result = inner.runpytest_subprocess("-p", "no:randomly")

    result.assert_outcomes(passed=1)
    assert leftovers(runtime_dir) == []


def test_unit_tests_start_no_server(inner: pytest.Pytester, runtime_dir: Path, monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("TOOLKIT_POSTGRES_BIN", "/nonexistent")  # would fail if asked
    inner.makepyfile(test_pure="def test_pure():\n    assert 1 + 1 == 2\n")

    result = inner.runpytest_subprocess("-p", "no:randomly")

    result.assert_outcomes(passed=1)


def test_unit_layer_connections_name_the_test_and_where_it_belongs(
    pytester: pytest.Pytester, monkeypatch
) -> None:
    """libpq resolves and connects from C, where pytest-socket does not reach: its own
    errors name the host (a refused port, a missing socket, a name that does not
    resolve); a test failing otherwise is not told."""
    monkeypatch.setenv("TOOLKIT_LAYER", "unit")  # as the unit session sets it
    pytester.makepyfile(
        test_connects="""
        import psycopg
        from psycopg import pq

        def test_refused():
            psycopg.connect("host=127.0.0.1 port=1 user=app dbname=app connect_timeout=2")

        def test_socket_folder():
            psycopg.connect("host=/nonexistent-folder port=5432 user=app dbname=app")

        def test_unresolvable():
            # libpq resolving the app's default host itself, as under psycopg2
            conn = pq.PGconn.connect(b"host=users-db.invalid port=5432 user=app dbname=app")
            raise RuntimeError(conn.get_error_message())

        def test_plain_failure():
            assert 1 == 2

        def test_asks_for_the_database(db_session):
            pass
        """
    )

    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "--disable-socket", "--allow-unix-socket"
    )

    result.assert_outcomes(failed=4, errors=1)
    fix = "unit tests run without network or database: move it to tests/integration"
    hints = [line for line in result.outlines if line.startswith("toolkit: ") and fix in line]
    expected = [
        "toolkit: test_connects.py::test_refused tried to connect to 127.0.0.1:1 (nothing "
        f"answered); {fix} (or mock the connection)",
        "toolkit: test_connects.py::test_socket_folder tried to connect to "
        f"/nonexistent-folder/.s.PGSQL.5432 (nothing answered); {fix} (or mock the connection)",
        "toolkit: test_connects.py::test_unresolvable tried to connect to users-db.invalid "
        f"(the name does not resolve); {fix} (or mock the connection)",
        "toolkit: test_connects.py::test_asks_for_the_database uses the database fixtures; "
        f"{fix} (or mock the dependency)",
    ]
    # under each failure or error, and again where the run ends, in run order
    assert sorted(hints) == sorted(expected * 2)
    assert hints[-len(expected) :] == expected


def test_migrations_build_the_template(inner: pytest.Pytester) -> None:
    inner.makefile(
        ".ini",
        alembic="[alembic]\nscript_location = %(here)s/migrations\n",
    )
    migrations = inner.mkdir("migrations")
    (migrations / "versions").mkdir()
    (migrations / "env.py").write_text(
        textwrap.dedent(
            """
            from alembic import context
            context.configure(connection=context.config.attributes["connection"])
            with context.begin_transaction():
                context.run_migrations()
            """
        )
    )
    (migrations / "script.py.mako").write_text("")
    (migrations / "versions" / "0001_create_notes.py").write_text(
        textwrap.dedent(
            """
            import sqlalchemy as sa
            from alembic import op

            revision = "0001"
            down_revision = None

            def upgrade():
                op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True))
            """
        )
    )
    inner.makeconftest(
        "import pytest\nfrom toolkit.testing import Service\n\n"
        "@pytest.fixture(scope='session')\n"
        "def toolkit_service():\n    return Service(alembic_ini='alembic.ini')\n"
    )
    inner.makepyfile(
        test_migrated="""
        from sqlalchemy import inspect

        def test_schema_comes_from_migrations(db_session):
            tables = set(inspect(db_session.connection()).get_table_names())
            assert tables == {"notes", "alembic_version"}
        """
    )

    result = inner.runpytest_subprocess("-p", "no:randomly")

    result.assert_outcomes(passed=1)


def test_bad_database_url_ends_the_run_with_one_line(inner: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres//nowhere")
    inner.makepyfile(test_db="def test_db(db_session):\n    pass\n")

    result = inner.runpytest_subprocess("-p", "no:randomly")

    assert result.ret == 2
    result.stdout.fnmatch_lines(["*toolkit: error: DATABASE_URL is malformed*postgresql://user*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_fixed_port_under_xdist_is_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: each worker started a server on the one port; all but one crashed."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TOOLKIT_POSTGRES_PORT", "55999")
    pytester.makepyfile(test_db="def test_db(database_url):\n    assert database_url\n")

    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:randomly")

    assert result.ret == 2
    lines = [line for line in result.outlines + result.errlines if "toolkit: error:" in line]
    assert len(lines) == 1
    assert "TOOLKIT_POSTGRES_PORT=55999 cannot serve 2 xdist workers" in lines[0]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


#: Holds its database until the other run has reached the same point, then uses it
#: again: the two runs overlap for certain.
OVERLAPPING = """
import os, pathlib, time
from sqlalchemy import text

def test_holds_its_database_while_the_other_run_does(db_session):
    ready = pathlib.Path("ready")
    (ready / str(os.getpid())).write_text(db_session.scalar(text("select current_database()")))
    deadline = time.monotonic() + 20
    while len(list(ready.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(list(ready.iterdir())) == 2, "the other run never got this far"
    time.sleep(float(os.environ["HOLD"]))
    assert db_session.scalar(text("select count(*) from items")) == 0
"""


@pytest.mark.parametrize("variable", ["DATABASE_URL", "TOOLKIT_POSTGRES_URL"])
def test_two_plain_runs_on_one_server_do_not_collide(
    inner: pytest.Pytester, postgres_server: Server, variable: str
) -> None:
    """Before: both runs used ``test_inner``; the second one's clone found it in use
    (or, a moment earlier, dropped it from under the first), and the first one's
    ``DROP DATABASE ... WITH (FORCE)`` at its end killed the second's connections.
    The same held for a server named by ``TOOLKIT_POSTGRES_URL``."""
    inner.makepyfile(test_overlap=OVERLAPPING)
    (inner.path / "ready").mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TOOLKIT_RUN_ID", "DATABASE_URL", "TOOLKIT_POSTGRES")
    }
    env[variable] = postgres_server.dsn("inner" if variable == "DATABASE_URL" else "postgres")

    def run(hold: float) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider"],
            cwd=inner.path,
            env={**env, "HOLD": str(hold)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    first = run(hold=0)  # ends (and drops its database) while the second still works
    deadline = time.monotonic() + 60
    while not list((inner.path / "ready").iterdir()) and first.poll() is None:
        assert time.monotonic() < deadline, "the first run never reached its test"
        time.sleep(0.05)
    second = run(hold=1)
    outputs = [process.communicate(timeout=120)[0] for process in (first, second)]

    assert [first.returncode, second.returncode] == [0, 0], "\n".join(outputs)
    names = [path.read_text() for path in (inner.path / "ready").iterdir()]
    assert len(set(names)) == 2
    assert all(re.fullmatch("test_inner_[0-9a-f]{8}", name) for name in names), names
    assert not set(names) & _database_names(postgres_server)
