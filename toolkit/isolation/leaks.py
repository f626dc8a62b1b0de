"""pytest plugin that notices tests leaving rows behind (``-p toolkit.isolation.leaks``).

The toolkit's ``db_session`` rolls back whatever a test writes; a test that commits
on a connection of its own (the ``engine`` fixture, a second session, code that opens
its own connection) leaves rows that every later test sees. This plugin snapshots
every user table of the package's test database (row count and an order-independent
checksum of the rows) when ``database_url`` is created and after each test's
function-scoped fixtures are torn down, on a connection of its own, and attaches the
tables a test changed to its teardown report (user property ``isolation_leak``,
``{"schema.table": row-count change}``), which pytest-reportlog writes out.

It needs nothing from the package: the database is whatever the plugin's
``database_url`` fixture made. ``--isolation-leaks=fail`` turns a leak into a teardown
error naming the tables: the one-line reproduction of a finding.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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

    def start(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.last = self.snapshot()

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


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
    result = yield
    if fixturedef.argname == "database_url" and isinstance(result, str):
        _watch.start(result)
    return result


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
        tables = ", ".join(f"{table} ({delta:+d} rows)" for table, delta in changed.items())
        pytest.fail(f"isolation: this test left rows behind in {tables}", pytrace=False)
