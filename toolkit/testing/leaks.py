"""pytest plugin that notices database changes a test or a fixture leaves behind
(``-p toolkit.testing.leaks``).

The toolkit's ``db_session`` rolls back whatever a test writes; a test that commits
on a connection of its own (the ``engine`` fixture, a second session, code that opens
its own connection) leaves rows that every later test sees, and so does a module or
session fixture that creates a table and never drops it. This plugin snapshots every
user table of the package's test database (its rows, as a multiset of row hashes) on
a connection of its own: when the watch starts, at the end of each test (after its
function fixtures are torn down), and around the setup and the teardown of every
fixture wider than a function. Each difference belongs to the phase that ran (see
:mod:`toolkit.testing._changes`):

- a test's changes go to its teardown report as the user property ``isolation_leak``
  (``{"schema.table": "+1 row"}``), which pytest-reportlog writes out;
- a fixture's are added up from its setup to its teardown, and only what outlives its
  teardown is reported, as ``isolation_fixture_leak`` on the report of the test being
  torn down then: ``[{"fixture": "tests/conftest.py::seed", "scope": "session",
  "tables": {...}, "tests": [the tests that used it]}]``. A module fixture that drops
  its tables at module end is no leak, and what its teardown did is never the next
  test's.

It needs nothing from the package. A suite that does not use the toolkit's fixtures
is watched through ``DATABASE_URL`` itself (any driver suffix, ``postgresql+asyncpg``
included), from the start of the test loop; once the toolkit's ``database_url`` fixture
makes the package's own database, that one is watched instead. It needs psycopg in the
package's environment; without it (or when the database does not answer) the run goes
on unwatched and the reason is written to the ``--isolation-info`` file, where the
engine reads it. Under xdist, a worker watches ``DATABASE_URL`` only when it is the
worker's own (the sessions give each worker ``<database>_gw<N>``, cloned from the
package's template); a ``DATABASE_URL`` all workers share would let a worker blame its
test for another worker's rows, so there only the fixture's per-worker databases are
watched. ``--isolation-leaks=fail`` turns a leak into an error naming the test or the
fixture and the tables: the one-line reproduction of a finding.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from toolkit.testing._changes import (
    ROWS_KEPT,
    Changes,
    Ledger,
    Snapshot,
    TableState,
    add,
    describe,
)
from toolkit.variables import TEMPLATE

__all__ = ["FIXTURE_LEAK", "LEAK"]

LEAK = "isolation_leak"
FIXTURE_LEAK = "isolation_fixture_leak"

#: Every user table, with its primary key's columns (``t.a, t.b``; NULL without one).
_TABLES = """
select quote_ident(n.nspname) || '.' || quote_ident(c.relname),
  (select string_agg('t.' || quote_ident(a.attname), ', '
                     order by array_position(i.indkey::int2[], a.attnum))
   from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
   where i.indrelid = c.oid and i.indisprimary)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\\_%'
order by 1
"""

#: pytest's own fixtures that run user code: xunit setup/teardown, unittest's setUpClass.
_USER_CODE = {
    "_xunit_setup_module_fixture_": "setup_module",
    "_xunit_setup_class_fixture_": "{}.setup_class",
    "_unittest_setUpClass_fixture_": "{}.setUpClass",
}
#: Fixtures from these modules never change a package's tables (pytest's, the toolkit's).
_QUIET_MODULES = ("_pytest.", "pytest.", "toolkit.", "pluggy.")


class _Watch:
    """The database being watched, and whose each change is."""

    def __init__(self) -> None:
        self.dsn: str | None = None
        self.ledger = Ledger(self.snapshot)
        self.status = "off: no DATABASE_URL and no database_url fixture"
        self.stashed: Changes = {}  # the current test's changes, when the watch stopped

    def start(self, url: str, source: str) -> None:
        """Watch the database at ``url`` (libpq's scheme whatever the driver)."""
        parts = urlsplit(url)
        if not parts.scheme.startswith(("postgresql", "postgres")):
            self.status = f"off: {source} is not a PostgreSQL URL"
            return
        dsn = urlunsplit(parts._replace(scheme="postgresql"))
        try:
            import psycopg  # noqa: F401
        except ImportError:
            self.status = "off: psycopg is not installed in the package's environment"
            return
        try:
            self._read(dsn)
        except Exception as error:
            self.status = f"off: {source} does not answer ({type(error).__name__})"
            return
        self.dsn = dsn
        self.ledger.baseline()
        self.status = f"on: {source}"

    def stop(self) -> None:
        """The watched database goes away: what the running test did so far is kept."""
        if self.dsn is not None:
            self.stashed = self.ledger.test_ends()
            self.dsn = None

    def snapshot(self) -> Snapshot:
        """Every table's rows; a database that stops answering (a suite that drops
        its own) ends the watch, and nothing is blamed for what cannot be seen."""
        if self.dsn is None:
            return self.ledger.last
        try:
            return self._read(self.dsn)
        except Exception as error:
            self.dsn = None
            self.status = f"off: the database stopped answering during the run ({error!r:.80})"
            return self.ledger.last

    def _read(self, dsn: str) -> Snapshot:
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as connection:
            tables = list(connection.execute(_TABLES))
            if not tables:
                return {}
            query = " union all ".join(
                f"select {_literal(table)}, count(*), coalesce(sum(h), 0)::text, "
                f"case when count(*) <= {ROWS_KEPT} then array_agg(k) end, "
                f"case when count(*) <= {ROWS_KEPT} then array_agg(h) end "
                f"from (select {_key(columns)} as k, hashtextextended(t::text, 0) as h "
                f"from {table} t) rows"
                for table, columns in tables
            )
            return {
                name: TableState(int(count), int(checksum), _rows(keys, hashes, int(count)))
                for name, count, checksum, keys, hashes in connection.execute(query)
            }


def _key(columns: str | None) -> str:
    return f"hashtextextended(row({columns})::text, 0)" if columns else "null::bigint"


def _rows(
    keys: list[int | None] | None, hashes: list[int] | None, count: int
) -> tuple[tuple[int | None, int], ...] | None:
    """Each row's (key hash, row hash); none kept past ROWS_KEPT rows (an empty table
    aggregates to NULL)."""
    if keys is None or hashes is None:
        return None if count else ()
    return tuple(zip(keys, hashes, strict=True))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_watch = _Watch()


class _Fixture:
    """A watched fixture instance: who it is and which tests used it."""

    def __init__(self, fixturedef: pytest.FixtureDef[Any], rootpath: Path) -> None:
        self.fixturedef = fixturedef
        self.name = _fixture_id(fixturedef, rootpath)
        self.scope = fixturedef.scope
        self.tests: list[str] = []


_fixtures: dict[int, _Fixture] = {}
_current: list[pytest.Item] = []  # the item whose protocol runs


def _fixture_id(fixturedef: pytest.FixtureDef[Any], rootpath: Path) -> str:
    """``file::name`` of a fixture, the file relative to the rootdir."""
    for prefix, template in _USER_CODE.items():
        if fixturedef.argname.startswith(prefix):
            baseid = fixturedef.baseid.split("::")
            owner = fixturedef.argname[len(prefix) :]
            return f"{baseid[0]}::{template.format(owner)}"
    name = fixturedef.argname
    try:
        source = inspect.getsourcefile(inspect.unwrap(fixturedef.func))
    except TypeError:
        source = None
    if source:
        path = Path(source).resolve()
        if path.is_relative_to(rootpath.resolve()):
            return f"{path.relative_to(rootpath.resolve()).as_posix()}::{name}"
    module = getattr(fixturedef.func, "__module__", None) or "?"
    return f"{module}::{name}"


def _watched(fixturedef: pytest.FixtureDef[Any]) -> bool:
    """Fixtures wider than a function whose code is the package's."""
    if fixturedef.scope == "function":
        return False
    if fixturedef.argname.startswith(tuple(_USER_CODE)):
        return True
    module = getattr(fixturedef.func, "__module__", "") or ""
    return not f"{module}.".startswith(_QUIET_MODULES)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("isolation").addoption(
        "--isolation-leaks",
        choices=("record", "fail"),
        default="record",
        help="record what a test or fixture leaves changed in the database (default), or fail",
    )


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and TEMPLATE in os.environ:
        # The toolkit's plugin gave this worker a database of its own, before conftests.
        _watch.start(url, f"DATABASE_URL (worker {worker}'s own database)")
        return
    if worker or getattr(session.config.option, "numprocesses", None):
        _watch.status = (
            "only the database_url fixture's databases: xdist workers share DATABASE_URL's"
        )
        return
    _watch.start(url, "DATABASE_URL")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    """Collection may have created tables (models imported, ``create_all`` at import
    time): that is nobody's leak, every run does it before any test."""
    if _watch.dsn is not None:
        _watch.ledger.baseline()
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    # The engine may run one test twice in a run: each execution says its own.
    item.user_properties[:] = [
        prop for prop in item.user_properties if prop[0] not in (LEAK, FIXTURE_LEAK)
    ]
    _current.append(item)
    try:
        return (yield)
    finally:
        _current.pop()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    key = id(fixturedef)
    watched = _watch.dsn is not None and _watched(fixturedef)
    if watched:
        fixture = _Fixture(fixturedef, request.config.rootpath)
        if _current:
            fixture.tests.append(_current[-1].nodeid)
        _fixtures[key] = fixture
        _watch.ledger.setup_begins(key)
    try:
        result = yield
    finally:
        if watched and _watch.dsn is not None:
            _watch.ledger.setup_ends(key)
            # Added after the fixture's own teardown, so it runs first: the moment
            # before that teardown (what the tests did is theirs).
            fixturedef.addfinalizer(lambda: _teardown_begins(key))
    if fixturedef.argname == "database_url" and isinstance(result, str):
        _watch.start(result, "the database_url fixture")
        fixturedef.addfinalizer(_watch.stop)  # before it drops the database
    return result


def _teardown_begins(key: int) -> None:
    if _watch.dsn is not None:
        _watch.ledger.teardown_begins(key)


def pytest_fixture_post_finalizer(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> None:
    """After the fixture's teardown: what it left, if anything, is its leak."""
    key = id(fixturedef)
    fixture = _fixtures.get(key)
    if fixture is None or fixture.fixturedef is not fixturedef:
        return
    if _watch.dsn is None or not _watch.ledger.watching(key):
        _fixtures.pop(key, None)
        return
    left = _watch.ledger.teardown_ends(key)
    del _fixtures[key]
    if not left:
        return
    tables = describe(left)
    leak = {
        "fixture": fixture.name,
        "scope": fixture.scope,
        "tables": tables,
        "tests": fixture.tests,
    }
    if _current:  # one property for all (a report keeps one value per name)
        properties = _current[-1].user_properties
        known = next((value for name, value in properties if name == FIXTURE_LEAK), None)
        if isinstance(known, list):
            known.append(leak)
        else:
            properties.append((FIXTURE_LEAK, [leak]))
    if request.config.getoption("isolation_leaks") == "fail":
        pytest.fail(
            f"isolation: fixture {fixture.name} ({fixture.scope} scope) left the database "
            f"changed: {_words(tables)}",
            pytrace=False,
        )


def _words(tables: dict[str, str]) -> str:
    return ", ".join(f"{table}: {words}" for table, words in tables.items())


def _uses(item: pytest.Item, fixture: _Fixture) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    definitions = getattr(info, "name2fixturedefs", {}).get(fixture.fixturedef.argname, ())
    return any(definition is fixture.fixturedef for definition in definitions)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """After every fixture of the test that ends here is torn down (and the wider ones,
    each on its own account), what is left unaccounted for is the test's."""
    for fixture in _fixtures.values():
        if item.nodeid not in fixture.tests and _uses(item, fixture):
            fixture.tests.append(item.nodeid)
    error: BaseException | None = None
    result: object = None
    try:
        result = yield
    except BaseException as raised:
        error = raised
    changed = _watch.stashed
    _watch.stashed = {}
    if _watch.dsn is not None:
        changed = add(changed, _watch.ledger.test_ends())
    if changed:
        tables = describe(changed)
        item.user_properties.append((LEAK, tables))
        if error is None and item.config.getoption("isolation_leaks") == "fail":
            pytest.fail(
                f"isolation: this test left the database changed: {_words(tables)}",
                pytrace=False,
            )
    if error is not None:
        raise error
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Tell the engine whether the run was watched (``leaks`` in the info file)."""
    info = session.config.getoption("isolation_info", None)
    if not info or hasattr(session.config, "workerinput"):
        return
    path = Path(info)
    document = json.loads(path.read_text()) if path.is_file() else {}
    document["leaks"] = _watch.status
    path.write_text(json.dumps(document))
