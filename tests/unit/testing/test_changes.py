"""Whose each database change is, phase by phase, on a fake database of row lists."""

from __future__ import annotations

from toolkit.testing._changes import Ledger, Snapshot, TableState, describe, diff


def _row(row: str) -> tuple[int | None, int]:
    """``"7:ann"`` is a row whose primary key is 7; ``"ann"`` a row of a keyless table."""
    key, _, _ = row.rpartition(":")
    return (hash(key) if key else None, hash(row))


class FakeDatabase:
    """Tables as lists of rows; a snapshot as the leak plugin takes it."""

    def __init__(self, **tables: list[str]) -> None:
        self.tables = {f"public.{name}": list(rows) for name, rows in tables.items()}
        self.snapshots = 0

    def snapshot(self) -> Snapshot:
        self.snapshots += 1
        return {
            name: TableState(len(rows), sum(hash(row) for row in rows), tuple(map(_row, rows)))
            for name, rows in self.tables.items()
        }

    def ledger(self) -> Ledger:
        ledger = Ledger(self.snapshot)
        ledger.baseline()
        return ledger


def test_changes_are_told_in_words_people_read() -> None:
    before = FakeDatabase(users=["1:ann", "2:bob", "3:cy"], notes=[], old=["x"]).snapshot()
    after = FakeDatabase(
        users=["1:ann", "2:BOB", "3:CY"], notes=["a", "b", "c"], new=[], old=["x"]
    ).snapshot()
    del after["public.old"]

    assert describe(diff(before, after)) == {
        "public.new": "table created",
        "public.notes": "+3 rows",
        "public.old": "table dropped",
        "public.users": "2 rows updated",
    }


def test_rows_added_and_others_updated_say_both() -> None:
    before = FakeDatabase(users=["1:ann", "2:bob"]).snapshot()
    after = FakeDatabase(users=["1:ANN", "2:bob", "3:cy"]).snapshot()

    assert describe(diff(before, after)) == {"public.users": "+1 row, 1 row updated"}


def test_rows_replaced_by_others_are_no_update() -> None:
    before = FakeDatabase(users=["1:ann", "2:bob"], tags=["red"]).snapshot()
    after = FakeDatabase(users=["3:cy", "4:dee"], tags=["blue"]).snapshot()

    assert describe(diff(before, after)) == {
        "public.tags": "+1 row, -1 row",  # no key: an update cannot be told from a swap
        "public.users": "+2 rows, -2 rows",
    }


def test_a_table_too_large_to_keep_row_by_row_is_told_by_its_count() -> None:
    before = {"public.big": TableState(9000, 5, None)}

    assert describe(diff(before, {"public.big": TableState(9002, 7, None)})) == {
        "public.big": "+2 rows"
    }
    assert describe(diff(before, {"public.big": TableState(9000, 8, None)})) == {
        "public.big": "rows changed"
    }


def test_session_seed_removed_at_its_teardown_is_no_leak_and_not_the_first_tests() -> None:
    database = FakeDatabase(users=[])
    ledger = database.ledger()

    ledger.setup_begins("seed")
    database.tables["public.users"] += ["ann", "bob", "cy"]
    ledger.setup_ends("seed")
    first_test = ledger.test_ends()
    ledger.teardown_begins("seed")
    database.tables["public.users"].clear()
    left = ledger.teardown_ends("seed")

    assert first_test == {}
    assert left == {}


def test_module_teardown_is_the_fixtures_never_the_next_tests() -> None:
    database = FakeDatabase()
    ledger = database.ledger()
    ledger.setup_begins("reports")
    database.tables["public.reports"] = [str(i) for i in range(6)]
    ledger.setup_ends("reports")
    assert ledger.test_ends() == {}
    ledger.teardown_begins("reports")
    del database.tables["public.reports"]  # drop_all

    assert ledger.teardown_ends("reports") == {}
    assert ledger.test_ends() == {}  # the mock-only test that runs next


def test_fixture_that_creates_a_table_and_never_drops_it_leaks_the_table() -> None:
    database = FakeDatabase()
    ledger = database.ledger()
    ledger.setup_begins("scratch")
    database.tables["public.scratch"] = []
    ledger.setup_ends("scratch")
    ledger.test_ends()
    ledger.teardown_begins("scratch")

    assert describe(ledger.teardown_ends("scratch")) == {"public.scratch": "table created"}


def test_a_tests_rows_swept_away_by_a_fixtures_teardown_are_the_tests_not_the_fixtures() -> None:
    database = FakeDatabase(users=[])
    ledger = database.ledger()
    ledger.setup_begins("seed")
    database.tables["public.users"] += ["ann", "bob"]
    ledger.setup_ends("seed")
    database.tables["public.users"].append("left by the test")
    test = ledger.test_ends()
    ledger.teardown_begins("seed")
    database.tables["public.users"].clear()  # truncates: the test's row goes too

    assert describe(test) == {"public.users": "+1 row"}
    assert ledger.teardown_ends("seed") == {}


def test_a_fixture_removing_only_its_own_rows_is_clean_beside_a_leaking_test() -> None:
    database = FakeDatabase(users=[])
    ledger = database.ledger()
    ledger.setup_begins("seed")
    database.tables["public.users"] += ["ann", "bob"]
    ledger.setup_ends("seed")
    database.tables["public.users"].append("left by the test")
    test = ledger.test_ends()
    ledger.teardown_begins("seed")
    database.tables["public.users"] = ["left by the test"]

    assert describe(test) == {"public.users": "+1 row"}
    assert ledger.teardown_ends("seed") == {}


def test_a_fixture_set_up_from_inside_a_test_keeps_its_changes_apart() -> None:
    database = FakeDatabase(notes=[], tags=[])
    ledger = database.ledger()
    database.tables["public.notes"].append("by the test")
    ledger.setup_begins("lazy")  # request.getfixturevalue() in the test body
    database.tables["public.tags"].append("by the fixture")
    ledger.setup_ends("lazy")
    database.tables["public.notes"].append("by the test, after")

    assert describe(ledger.test_ends()) == {"public.notes": "+2 rows"}
    ledger.teardown_begins("lazy")
    assert describe(ledger.teardown_ends("lazy")) == {"public.tags": "+1 row"}


def test_a_fixture_the_ledger_never_saw_set_up_is_ignored_at_teardown() -> None:
    database = FakeDatabase()
    ledger = database.ledger()
    before = database.snapshots

    ledger.teardown_begins("unknown")

    assert ledger.teardown_ends("unknown") == {}
    assert database.snapshots == before
