"""Leak candidates from the file-order run become findings only when their own command
shows them again; the runs are faked here (what each command's run would show)."""

from __future__ import annotations

from collections.abc import Sequence

from toolkit.isolation._leaks import LEAK_ARGS, confirmed_leaks
from toolkit.isolation._report import OrderRun
from toolkit.isolation._reportlog import Execution

SEED = {
    "fixture": "tests/conftest.py::seed",
    "scope": "module",
    "tables": {"public.users": "+3 rows"},
    "tests": ["t::a", "t::b"],
}


class FakeRunner:
    """``shows`` maps a command's tests to the executions its run gives."""

    def __init__(self, shows: dict[tuple[str, ...], list[Execution]]) -> None:
        self.shows = shows
        self.ran: list[tuple[str, ...]] = []

    def explicit(self, order: Sequence[str], *extra: str) -> list[Execution]:
        assert tuple(extra) == LEAK_ARGS
        self.ran.append(tuple(order))
        return self.shows.get(tuple(order), [Execution(test) for test in order])

    def replay(self, tests: Sequence[str], *extra: str) -> str:
        return " ".join(["pytest", *extra, *tests])


def _confirm(runner: FakeRunner, executions: list[Execution], deadline: float = float("inf")):
    return confirmed_leaks(
        runner,  # type: ignore[arg-type]
        OrderRun(None, executions, "file"),
        deadline=deadline,
        say=lambda message: None,
    )


def test_a_test_leak_its_command_shows_is_a_finding_told_as_the_command_shows_it() -> None:
    runner = FakeRunner({("t::all",): [Execution("t::all", leak={"public.users": "+2 rows"})]})
    baseline = [Execution("t::all", leak={"public.users": "+2 rows, -2 rows"})]

    findings, notes = _confirm(runner, baseline)

    assert notes == []
    assert [(f.kind, f.test, f.details) for f in findings] == [
        ("database-leak", "t::all", {"tables": {"public.users": "+2 rows"}})
    ]
    assert findings[0].reproduce == "pytest -p toolkit.testing.leaks --isolation-leaks=fail t::all"


def test_a_leak_its_command_does_not_show_is_unconfirmed_never_a_finding() -> None:
    # The test deletes what the tests before it left: alone, there is nothing to delete.
    runner = FakeRunner({})
    baseline = [Execution("t::remove", leak={"public.users": "-2 rows"})]

    findings, notes = _confirm(runner, baseline)

    assert findings == []
    assert [(n.kind, n.test, n.leak) for n in notes] == [("unconfirmed", "t::remove", True)]
    assert "the test left public.users: -2 rows in the file order run" in notes[0].reason


def test_a_fixture_leak_is_tried_with_its_first_user_then_all_and_reported_once() -> None:
    shown = [Execution("t::b", fixture_leaks=[SEED])]
    runner = FakeRunner({("t::a", "t::b"): shown})
    # A module fixture of a conftest leaks in two modules: one finding.
    baseline = [Execution("t::b", fixture_leaks=[SEED]), Execution("t::d", fixture_leaks=[SEED])]

    findings, notes = _confirm(runner, baseline)

    assert runner.ran == [("t::a",), ("t::a", "t::b")]
    assert notes == []
    (finding,) = findings
    assert (finding.test, finding.details) == (
        "t::a",
        {
            "tables": {"public.users": "+3 rows"},
            "fixture": "tests/conftest.py::seed",
            "scope": "module",
            "tests": ["t::a", "t::b"],
        },
    )
    assert finding.reproduce.endswith("t::a t::b")
    assert (
        finding.cause()
        == "fixture tests/conftest.py::seed (module scope) left public.users: +3 rows"
    )


def test_another_fixtures_leak_in_the_run_does_not_confirm_this_one() -> None:
    other = dict(SEED, fixture="tests/conftest.py::other")
    runner = FakeRunner({("t::a",): [Execution("t::a", fixture_leaks=[other])]})

    findings, notes = _confirm(runner, [Execution("t::b", fixture_leaks=[SEED])])

    assert findings == []
    assert [n.kind for n in notes] == ["unconfirmed"]


def test_past_the_deadline_leaks_are_listed_unsearched_without_a_run() -> None:
    runner = FakeRunner({})

    findings, notes = _confirm(
        runner, [Execution("t::x", leak={"public.notes": "+1 row"})], deadline=0.0
    )

    assert findings == [] and runner.ran == []
    assert [(n.kind, n.test) for n in notes] == [("unsearched", "t::x")]
