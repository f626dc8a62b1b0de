"""The toolkit's pytest plugin (entry point ``pytest11``): the usual test fixtures, ready-made.

Fixture graph, from the server down to the HTTP client::

    toolkit_service ─┐
    postgres_server ─┴─ database_url ─┬─ engine ────── db_session ───────┐
                                      └─ async_engine ─ async_db_session ┴─ app ─ client

``postgres_server`` is the server named by ``DATABASE_URL`` (a nox session or
``toolkit postgres`` sets it), or one the plugin starts itself. ``database_url`` is a
database of this package's own, cloned from a template that holds the schema; under
xdist each worker gets its own clone. ``db_session`` runs each test inside a
transaction that is rolled back, with savepoints, so even code that calls
``commit()`` leaves nothing behind.

Importing this module must stay cheap: pytest loads it in every run of every venv
that has the toolkit installed, database or not. Heavy imports happen in fixtures.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from toolkit._toml import tomllib
from toolkit.errors import ToolkitError
from toolkit.testing.service import Service
from toolkit.variables import COVERAGE_PARTS, COVERAGE_REPORT, LAYER, TEMPLATE

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
    from sqlalchemy.orm import Session

    from toolkit.postgres.server import Server

__all__ = [
    "app",
    "async_db_session",
    "async_engine",
    "client",
    "database_url",
    "db_session",
    "engine",
    "postgres_server",
    "toolkit_service",
]

_EXIT_USER_ERROR = 2


def _exit(error: ToolkitError) -> None:
    """End the run with the error's one line: every test would fail the same way."""
    pytest.exit(f"toolkit: error: {error}", returncode=_EXIT_USER_ERROR)


def _project_name(rootdir: Path) -> str:
    """The package's name as the sessions name it: ``[project] name``, else what its
    ``setup.py`` or ``setup.cfg`` says, else its folder's."""
    try:
        with open(rootdir / "pyproject.toml", "rb") as handle:
            return str(tomllib.load(handle)["project"]["name"])
    except (OSError, KeyError, TypeError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        from toolkit.host import legacy

        return legacy.metadata(rootdir).get("name") or rootdir.name


_DATABASE_IN_UNIT_LAYER = (
    "toolkit: unit tests run without network or database; this test uses the database: "
    "move it to tests/integration (or mock the dependency)"
)


def _in_unit_layer() -> bool:
    return os.environ.get(LAYER) == "unit"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Make the database the sessions named before any conftest imports the app.

    Apps read ``DATABASE_URL`` at import time (settings objects), so the database (and
    under xdist the worker's own URL) must be ready before conftests load.
    """
    from toolkit.testing.database import prepare_process_database, spawns_workers

    try:
        prepare_process_database(controller=spawns_workers(early_config.known_args_namespace))
    except ToolkitError as error:
        raise pytest.UsageError(f"toolkit: error: {error}") from None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """One fixed port cannot serve several xdist workers that each start a server."""
    workers = getattr(config.option, "numprocesses", None)
    port = os.environ.get("TOOLKIT_POSTGRES_PORT")
    controller = not hasattr(config, "workerinput")
    if controller and workers and port and not os.environ.get("DATABASE_URL"):
        pytest.exit(
            f"toolkit: error: TOOLKIT_POSTGRES_PORT={port} cannot serve {workers} xdist "
            "workers that each start a server; unset it, or share one server: "
            f"toolkit postgres --port {port} -- pytest -n {workers}",
            returncode=_EXIT_USER_ERROR,
        )


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Combine and report the package's coverage here, where coverage is imported
    already, when a layer session asks (``TOOLKIT_COVERAGE_REPORT``): the coverage
    session that follows then has nothing to start. pytest-cov has saved this run's
    data by now (at the end of the test loop; under xdist, combined from the workers).
    Anything amiss leaves the work to the coverage session, as before."""
    folder = os.environ.get(COVERAGE_REPORT)
    if not folder or hasattr(session.config, "workerinput"):
        return
    parts = [Path(part) for part in os.environ.get(COVERAGE_PARTS, "").split(os.pathsep) if part]
    if not parts or not all(part.is_file() for part in parts):
        return  # no data of this run (--no-cov, collection errors): nothing to report
    from toolkit.testing.combine import report

    try:
        report(Path(folder), parts, session.config.invocation_params.dir)
    except Exception as error:  # the coverage session reports it instead
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"toolkit: coverage reports left to the coverage session: {error}")


_CONNECTION_SECTION = "toolkit: connection"
#: The connection hints of this run's reports, for the closing summary.
_connection_hints: list[str] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Name the unit test that tried to connect somewhere, and where it belongs: the
    failure shows the driver's error, the line says why (see toolkit.testing.connections)."""
    report = yield
    if call.excinfo is None or not report.failed:
        return report
    from toolkit.testing.connections import find_attempt

    if str(call.excinfo.value) == _DATABASE_IN_UNIT_LAYER:
        hint = (
            f"toolkit: {item.nodeid} uses the database fixtures; unit tests run without "
            "network or database: move it to tests/integration (or mock the dependency)"
        )
        report.sections.append((_CONNECTION_SECTION, hint))
        return report
    attempt = find_attempt(call.excinfo.value)
    if attempt is not None and (attempt.blocked or _in_unit_layer()):
        report.sections.append((_CONNECTION_SECTION, attempt.hint(item.nodeid)))
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the hints (from xdist workers too) for the closing summary."""
    for name, content in report.sections:
        if name == _CONNECTION_SECTION and content not in _connection_hints:
            _connection_hints.append(content)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The hints again, one line per test, where the run ends and a reader looks."""
    for hint in _connection_hints:
        terminalreporter.write_line(hint, red=True)
    _connection_hints.clear()


@pytest.fixture(scope="session")
def toolkit_service() -> Service:
    """Override in the package's conftest to declare its app, schema and factories."""
    return Service()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """The server for this run: ``DATABASE_URL``'s, else one started for the session."""
    if _in_unit_layer():
        pytest.fail(_DATABASE_IN_UNIT_LAYER, pytrace=False)
    from toolkit.postgres import start_server
    from toolkit.postgres.urls import parse_url

    try:
        if os.environ.get("DATABASE_URL"):
            yield parse_url(os.environ["DATABASE_URL"], source="DATABASE_URL")
            return
        server = start_server()
    except ToolkitError as error:
        _exit(error)
    with server:
        yield server


@pytest.fixture(scope="session")
def database_url(
    postgres_server: Server, toolkit_service: Service, pytestconfig: pytest.Config
) -> Iterator[str]:
    """SQLAlchemy URL of this package's (and this xdist worker's) own test database."""
    from toolkit.postgres import databases

    rootdir = Path(pytestconfig.rootpath)
    given = bool(os.environ.get("DATABASE_URL"))
    # A server this plugin did not start (DATABASE_URL, or TOOLKIT_POSTGRES_URL's):
    # other processes may use it at the same time.
    shared = given or postgres_server.provider == "external"
    base = postgres_server.database if given else _project_name(rootdir)
    # Under a session, DATABASE_URL already names this process's own database (the
    # package's, this xdist worker's, this isolation run's): a name no other has.
    worker = None if TEMPLATE in os.environ else os.environ.get("PYTEST_XDIST_WORKER")
    parts = ("test", base, *([worker] if worker else []))
    # Anywhere else on a server others may use, a process takes a name of its own:
    # TOOLKIT_RUN_ID's, else a random one (two plain pytest runs of one package).
    own_name = shared and TEMPLATE not in os.environ
    name = databases.run_database_name(*parts) if own_name else databases.database_name(*parts)
    try:
        template = databases.ensure_template(postgres_server, toolkit_service.schema(rootdir))
        if own_name:  # such names are never reused: sweep up after killed runs instead
            databases.drop_abandoned(postgres_server)
        databases.clone_database(postgres_server, template, name, mark_owner=own_name)
    except ToolkitError as error:
        _exit(error)
    yield postgres_server.url(name)
    note = databases.drop_database(postgres_server, name)
    if note:
        reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"toolkit: {note}")


def _require_sqlalchemy_2() -> None:
    """The database fixtures are SQLAlchemy 2 code; the toolkit does not impose it on
    packages that never use them (an app on SQLAlchemy 1.4 may still adopt the sessions)."""
    try:
        import sqlalchemy
    except ImportError:
        pytest.fail(
            "toolkit: the database fixtures need SQLAlchemy 2: add sqlalchemy>=2 to the "
            "package's test dependencies",
            pytrace=False,
        )
    if int(sqlalchemy.__version__.split(".")[0]) < 2:
        pytest.fail(
            f"toolkit: the database fixtures need SQLAlchemy 2 (this environment has "
            f"{sqlalchemy.__version__}): use your own engine fixture, or upgrade",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    _require_sqlalchemy_2()
    from sqlalchemy import create_engine

    created = create_engine(database_url)
    yield created
    created.dispose()


def _bind_factories(service: Service, session: Session) -> list[tuple[Any, Any]]:
    bound = []
    factory: Any  # factory_boy's classes carry their options in an untyped _meta
    for factory in service.factory_classes():
        bound.append((factory, factory._meta.sqlalchemy_session))
        factory._meta.sqlalchemy_session = session
    return bound


def _unbind_factories(bound: list[tuple[Any, Any]]) -> None:
    factory: Any
    for factory, previous in bound:
        factory._meta.sqlalchemy_session = previous


@pytest.fixture
def db_session(engine: Engine, toolkit_service: Service) -> Iterator[Session]:
    """A Session inside a transaction that is rolled back after the test.

    ``join_transaction_mode="create_savepoint"`` turns the code's own ``commit()`` and
    ``rollback()`` into savepoint operations, so the outer transaction, and with it
    every row the test wrote, is discarded whatever the code under test did.
    """
    from sqlalchemy.orm import Session

    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    bound = _bind_factories(toolkit_service, session)
    try:
        yield session
    finally:
        _unbind_factories(bound)
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="session")
def async_engine(database_url: str) -> Iterator[AsyncEngine]:
    """An AsyncEngine without a pool: each test may run in its own event loop, and
    pooled async connections must not cross loops."""
    _require_sqlalchemy_2()
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    created = create_async_engine(database_url, poolclass=NullPool)
    yield created
    created.sync_engine.dispose()


@pytest.fixture
async def async_db_session(
    async_engine: AsyncEngine, toolkit_service: Service
) -> AsyncIterator[AsyncSession]:
    """The async twin of ``db_session``: same outer transaction, same savepoint mode.

    Factories are bound to its ``sync_session``; give async factories
    ``sqlalchemy_session_persistence = None`` and let autoflush (or an awaited
    ``flush()``) write them, since a sync flush cannot run inside the event loop.
    """
    from sqlalchemy.ext.asyncio import AsyncSession

    async with async_engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        bound = _bind_factories(toolkit_service, session.sync_session)
        try:
            yield session
        finally:
            _unbind_factories(bound)
            await session.close()
            await transaction.rollback()


@pytest.fixture
def app(toolkit_service: Service, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The package's app with its DB dependency bound to this test's session."""
    try:
        app_factory, get_db = toolkit_service.require_app()
    except ToolkitError as error:
        pytest.fail(f"toolkit: {error}", pytrace=False)
    if toolkit_service.is_async() and "anyio_backend" not in request.fixturenames:
        pytest.fail(
            "toolkit: this service's get_db is async, so app and client need an async "
            "test: make it `async def` and mark it with pytest.mark.anyio",
            pytrace=False,
        )
    fixture = "async_db_session" if toolkit_service.is_async() else "db_session"
    session = request.getfixturevalue(fixture)
    application = app_factory()
    application.dependency_overrides[get_db] = lambda: session
    yield application
    application.dependency_overrides.clear()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[Any]:
    """An httpx.AsyncClient speaking to ``app`` in-process, through ASGI."""
    from httpx import ASGITransport, AsyncClient

    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        yield http
