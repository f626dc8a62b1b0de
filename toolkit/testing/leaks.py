"""pytest plugin that notices tests leaving rows behind (``-p toolkit.testing.leaks``).

The toolkit's ``db_session`` rolls back whatever a test writes; a test that commits
on a connection of its own (the ``engine`` fixture, a second session, code that opens
its own connection) leaves rows that every later test sees. This plugin snapshots
every user table of the package's test database (row count and an order-independent
checksum of the rows) when ``database_url`` is created and after each test's
function-scoped fixtures are torn down, on a connection of its own, and attaches the
tables a test changed to its teardown report (user property ``isolation_leak``,
``{"schema.table": row-count change}``), which pytest-reportlog writes out.

It needs nothing from the package. A suite that does not use the toolkit's fixtures
is watched through ``DATABASE_URL`` itself (any driver suffix, ``postgresql+asyncpg``
included), from the start of the session; once the toolkit's ``database_url`` fixture
makes the package's own database, that one is watched instead. It needs psycopg in the
package's environment; without it (or when the database does not answer) the run goes
on unwatched and the reason is written to the ``--isolation-info`` file, where the
engine reads it. Under xdist, a worker watches ``DATABASE_URL`` only when it is the
worker's own (the sessions give each worker ``<database>_gw<N>``, cloned from the
package's template); a ``DATABASE_URL`` all workers share would let a worker blame its
test for another worker's rows, so there only the fixture's per-worker databases are
watched. ``--isolation-leaks=fail`` turns a leak into a teardown error naming the
tables: the one-line reproduction of a finding. A table whose rows changed but not
their number (an update) is named as changed, without a count.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from toolkit.isolation._reportlog import describe_leak
from toolkit.variables import TEMPLATE

__all__ = ["LEAK"]

LEAK = "isolation_leak"

_TABLES = """
select quote_ident(n.nspname) || '.' || quote_ident(c.relname)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\\_%'
order by 1
"""

Snapshot = dict[str, tuple[int, int]]


class _Watch:
    """The database being watched and its last snapshot."""

    def __init__(self) -> None:
        self.dsn: str | None = None
        self.last: Snapshot = {}
        self.status = "off: no DATABASE_URL and no database_url fixture"

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
        previous, self.dsn = self.dsn, dsn
        try:
            self.last = self.snapshot()
        except Exception as error:
            self.dsn = previous
            self.status = f"off: {source} does not answer ({type(error).__name__})"
            return
        self.status = f"on: {source}"

    def snapshot(self) -> Snapshot:
        import psycopg

        assert self.dsn is not None
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            tables = [row[0] for row in connection.execute(_TABLES)]
            if not tables:
                return {}
            query = " union all ".join(
                f"select {_literal(table)}, count(*), "
                f"coalesce(sum(hashtextextended(t::text, 0)), 0)::text from {table} t"
                for table in tables
            )
            return {
                name: (int(count), int(checksum))
                for name, count, checksum in connection.execute(query)
            }

    def changes(self) -> dict[str, int]:
        """Tables whose rows changed since the last snapshot: row-count change each."""
        current = self.snapshot()
        changed = {
            table: current.get(table, (0, 0))[0] - self.last.get(table, (0, 0))[0]
            for table in sorted(set(current) | set(self.last))
            if current.get(table) != self.last.get(table)
        }
        self.last = current
        return changed


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_watch = _Watch()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("isolation").addoption(
        "--isolation-leaks",
        choices=("record", "fail"),
        default="record",
        help="record tables a test leaves changed (default), or fail the test",
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


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    result = yield
    if fixturedef.argname == "database_url" and isinstance(result, str):
        _watch.start(result, "the database_url fixture")
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


@pytest.fixture(autouse=True)
def _isolation_leak_watch(request: pytest.FixtureRequest) -> Iterator[None]:
    """Autouse, so set up before and torn down after the test's other function fixtures
    (``db_session``'s rollback included): what is left is what the test committed."""
    yield
    if _watch.dsn is None:
        return
    changed = _watch.changes()
    if not changed:
        return
    request.node.user_properties.append((LEAK, changed))
    if request.config.getoption("isolation_leaks") == "fail":
        pytest.fail(
            f"isolation: this test left the database changed: {describe_leak(changed)}",
            pytrace=False,
        )
