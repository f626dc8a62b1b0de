"""What changed in a database, phase by phase, and who it belongs to.

The leak watch (:mod:`toolkit.testing.leaks`) snapshots every user table at the edges
of each phase of a run: a test (its call and its function fixtures), and the setup and
teardown of each fixture wider than a function. Each snapshot's difference from the
one before is added to the phase that ran in between, so a module fixture's
``drop_all`` is that fixture's, never the next test's, and a session fixture's seed
rows are the fixture's, never the first test's. A fixture leaks only what outlives
its own teardown: its setup and teardown changes added up, on tables that differ from
before its setup (a test's rows that the fixture's teardown swept away are the
test's, already reported).

Changes add up row by row: a table's rows are kept as a multiset of (primary key hash,
row hash) pairs (up to :data:`ROWS_KEPT` rows; past that, their number and a
checksum), so "3 rows added, then the same 3 removed" is nothing, a row whose key
stays and whose values change reads as ``1 row updated`` rather than a row count that
did not move, and rows deleted while others are inserted read as ``+2 rows, -2 rows``.
Standard library only, and no database here: snapshots are given (which keeps this
testable without a server).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

__all__ = [
    "ROWS_KEPT",
    "Row",
    "Change",
    "Changes",
    "Ledger",
    "Snapshot",
    "TableState",
    "add",
    "describe",
    "diff",
]

#: Tables with more rows than this are compared by row count and checksum only.
ROWS_KEPT = 5000


#: A row: its primary key's hash (None when the table has no primary key), its hash.
Row = tuple[int | None, int]


@dataclass(frozen=True)
class TableState:
    """One table at one moment: its row count, the sum of its row hashes, and each
    row as (its primary key's hash, or None without a key; its hash), None past
    :data:`ROWS_KEPT` rows."""

    count: int
    checksum: int
    rows: tuple[Row, ...] | None = ()

    def same(self, other: TableState | None) -> bool:
        return other is not None and (self.count, self.checksum) == (other.count, other.checksum)


#: Every user table, by ``schema.table``.
Snapshot = dict[str, TableState]


@dataclass
class Change:
    """What happened to one table over one or more phases; changes add up."""

    existence: int = 0  # +1 created, -1 dropped
    count: int = 0
    checksum: int = 0
    rows: Counter[Row] | None = field(default_factory=Counter)  # signed; None: not known

    def __add__(self, other: Change) -> Change:
        rows: Counter[Row] | None = None
        if self.rows is not None and other.rows is not None:
            rows = Counter(self.rows)
            rows.update(other.rows)  # update() keeps negative counts, + would drop them
            rows = Counter({row: n for row, n in rows.items() if n})
        return Change(
            self.existence + other.existence,
            self.count + other.count,
            self.checksum + other.checksum,
            rows,
        )

    @property
    def empty(self) -> bool:
        return not (self.existence or self.count or self.checksum or self.rows)

    def words(self) -> str:
        """``table created``, ``table dropped``, ``+3 rows``, ``2 rows updated``..."""
        if self.existence > 0:
            return "table created" + (f" with {_rows(self.count)}" if self.count > 0 else "")
        if self.existence < 0:
            return "table dropped"
        if self.rows is None:
            if not self.count:
                return "rows changed"
            return f"{'+' if self.count > 0 else '-'}{_rows(abs(self.count))}"
        added = removed = updated = 0
        by_key: dict[int, list[int]] = {}
        for (key, _), n in self.rows.items():
            if key is None:
                added, removed = added + max(n, 0), removed + max(-n, 0)
            else:
                counts = by_key.setdefault(key, [0, 0])
                counts[0 if n > 0 else 1] += abs(n)
        for came, went in by_key.values():
            both = min(came, went)  # the same key gone and back: its values changed
            updated, added, removed = updated + both, added + came - both, removed + went - both
        parts = [f"+{_rows(added)}"] if added else []
        parts += [f"-{_rows(removed)}"] if removed else []
        parts += [f"{_rows(updated)} updated"] if updated else []
        return ", ".join(parts) or "rows changed"


def _rows(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


#: Changes by ``schema.table``; tables without a change are left out.
Changes = dict[str, Change]


def _state_rows(state: TableState | None) -> Counter[Row] | None:
    if state is None:
        return Counter()
    return None if state.rows is None else Counter(state.rows)


def diff(before: Snapshot, after: Snapshot) -> Changes:
    """What changed from ``before`` to ``after``, table by table."""
    changes: Changes = {}
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table), after.get(table)
        if old is not None and new is not None and old.same(new):
            continue
        old_rows, new_rows = _state_rows(old), _state_rows(new)
        rows: Counter[Row] | None = None
        if old_rows is not None and new_rows is not None:
            rows = Counter(new_rows)
            rows.subtract(old_rows)
            rows = Counter({row: n for row, n in rows.items() if n})
        changes[table] = Change(
            (new is not None) - (old is not None),
            (new.count if new else 0) - (old.count if old else 0),
            (new.checksum if new else 0) - (old.checksum if old else 0),
            rows,
        )
    return changes


def add(first: Changes, second: Changes) -> Changes:
    """Both changes, table by table; what cancels out is left out."""
    total = dict(first)
    for table, change in second.items():
        total[table] = total[table] + change if table in total else change
    return {table: change for table, change in total.items() if not change.empty}


def describe(changes: Changes) -> dict[str, str]:
    """``{"public.users": "2 rows updated"}``: what people read in a report."""
    return {table: change.words() for table, change in sorted(changes.items())}


@dataclass
class _Instance:
    """One fixture instance being watched: the database before its setup, and what
    its own setup and teardown changed."""

    before: Snapshot
    net: Changes = field(default_factory=dict)


class Ledger:
    """Adds each snapshot's difference to the phase that ran before it.

    ``snapshot`` reads the database. Fixture instances are told apart by any hashable
    key; phases nest (a fixture set up from inside another's setup, or from a test).
    Changes outside any fixture phase belong to the test that runs (or ran) there.
    """

    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self._snapshot = snapshot
        self.last: Snapshot = {}
        self._pending: Changes = {}
        self._instances: dict[Hashable, _Instance] = {}
        self._stack: list[Hashable] = []

    def baseline(self) -> None:
        """Start afresh from the database as it is (nothing before is anyone's)."""
        self.last = self._snapshot()
        self._pending = {}
        self._instances.clear()
        self._stack.clear()

    def _advance(self) -> None:
        current = self._snapshot()
        delta = diff(self.last, current)
        self.last = current
        if not delta:
            return
        if self._stack:
            instance = self._instances[self._stack[-1]]
            instance.net = add(instance.net, delta)
        else:
            self._pending = add(self._pending, delta)

    def watching(self, key: Hashable) -> bool:
        return key in self._instances

    def setup_begins(self, key: Hashable) -> None:
        self._advance()
        self._instances[key] = _Instance(self.last)
        self._stack.append(key)

    def setup_ends(self, key: Hashable) -> None:
        if key not in self._stack:
            return
        self._advance()
        self._remove(key)

    def teardown_begins(self, key: Hashable) -> None:
        if key not in self._instances:
            return
        self._advance()
        self._stack.append(key)

    def teardown_ends(self, key: Hashable) -> Changes:
        """What the fixture instance left: its own changes that outlive it."""
        instance = self._instances.get(key)
        if instance is None:
            return {}
        self._advance()
        self._remove(key)
        del self._instances[key]
        return {
            table: change
            for table, change in instance.net.items()
            if not (
                (old := instance.before.get(table)) is not None and old.same(self.last.get(table))
            )
            and not (table not in instance.before and table not in self.last)
        }

    def test_ends(self) -> Changes:
        """What the test that just ran changed (its function fixtures included)."""
        self._advance()
        changes, self._pending = self._pending, {}
        return changes

    def _remove(self, key: Hashable) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index] == key:
                del self._stack[index]
                return
