"""The examination of failing tests on a model of a suite: no pytest runs.

The fake runner plays a suite whose victims fail once one of their polluter sets
ran before them in the same process; whole-suite runs are given directly, as the
order runs would have recorded them (concurrent runs may show failures that never
come back one process at a time).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

from toolkit.isolation import _examine as examine_module
from toolkit.isolation._examine import Examiner
from toolkit.isolation._report import OrderRun
from toolkit.isolation._reportlog import Execution

TESTS = [f"t{index:02d}" for index in range(30)]


class FakeRunner:
    """Explicit runs from a model: ``causes`` maps a victim to its polluter sets,
    ``broken`` tests fail whatever ran before them."""

    def __init__(self, causes: dict[str, list[set[str]]], broken: set[str] = frozenset()):
        self.causes = causes
        self.broken = broken
        self.runs = 0
        self.orders: list[list[str]] = []

    def explicit(self, order: list[str]) -> list[Execution]:
        self.runs += 1
        self.orders.append(list(order))
        ran: set[str] = set()
        executions = []
        for position, test in enumerate(order):
            failed = test in self.broken or any(group <= ran for group in self.causes.get(test, []))
            executions.append(
                Execution(test, position=position, outcome="failed" if failed else "passed")
            )
            ran.add(test)
        return executions

    def replay(self, tests, *extra) -> str:
        return "pytest " + " ".join(tests)

    def replay_order(self, order: str, seed: int | None = None) -> str:
        return f"pytest --order {order} {seed}"


def _run(
    order: list[str], failed: set[str], seed: int | None = None, kind: str = "file"
) -> OrderRun:
    executions = [
        Execution(test, outcome="failed" if test in failed else "passed") for test in order
    ]
    return OrderRun(seed, executions, kind)


def _examine(runner: FakeRunner, runs: list[OrderRun], **kwargs) -> Examiner:
    options = {"max_sets": 5, "deadline": time.monotonic() + 60, "say": lambda message: None}
    examiner = Examiner(runner, runs, **{**options, **kwargs})
    examiner.examine()
    return examiner


def _order_dependent(examiner: Examiner) -> dict[str, list[list[str]]]:
    return {
        f.test: f.details["polluter_sets"] for f in examiner.findings if f.kind == "order-dependent"
    }


def test_victim_failing_in_every_order_is_examined_and_its_polluter_found() -> None:
    runner = FakeRunner({"t20": [{"t03"}]})
    runs = [
        _run(TESTS, {"t20"}),
        _run([*TESTS[:5], "t20", *TESTS[5:20], *TESTS[21:]], {"t20"}, 1, "random"),
    ]

    examiner = _examine(runner, runs)

    assert _order_dependent(examiner) == {"t20": [["t03"]]}
    assert ["t03", "t20"] in runner.orders  # the reported command was run as such
    assert ["t20"] in runner.orders  # and the victim alone


def test_test_failing_alone_is_listed_with_its_command_and_is_no_finding() -> None:
    runner = FakeRunner({}, broken={"t07"})

    examiner = _examine(runner, [_run(TESTS, {"t07"}), _run(TESTS[::-1], {"t07"}, None, "reverse")])

    assert examiner.findings == []
    assert [(n.kind, n.test, n.command) for n in examiner.notes] == [
        ("fails alone", "t07", "pytest t07")
    ]


def test_failure_that_never_comes_back_one_process_at_a_time_is_unconfirmed() -> None:
    # Two concurrent runs wrote one fixed path: the model never fails t12 on its own.
    runner = FakeRunner({})

    examiner = _examine(runner, [_run(TESTS, set()), _run(TESTS, {"t12", "t14"}, 5, "random")])

    assert examiner.findings == []
    assert sorted((n.kind, n.test) for n in examiner.notes) == [
        ("unconfirmed", "t12"),
        ("unconfirmed", "t14"),
    ]
    assert runner.runs == 3  # the replay and two more: shared by both signals


def test_victims_of_one_polluter_are_searched_together() -> None:
    victims = [f"v{index}" for index in range(8)]
    runner = FakeRunner({victim: [{"t05"}] for victim in victims})
    order = [*TESTS, *victims]

    examiner = _examine(
        runner, [_run(order, set(victims)), _run(order[::-1], set(), None, "reverse")]
    )

    assert _order_dependent(examiner) == {victim: [["t05"]] for victim in victims}
    # the replay, 8 alone, one shared probe for all, one run of t05 and all of them,
    # 8 confirmations, one check without t05, two fresh runs of t05 and all of them
    # before the report; searched one by one, each victim would cost about five.
    assert runner.runs == 22


def test_polluter_found_for_one_victim_is_tried_first_for_the_next() -> None:
    runner = FakeRunner({"v1": [{"t05"}], "v2": [{"t05"}]})
    first = [*TESTS, "v1"]
    second = [*TESTS[:10], "v2", *TESTS[10:]]

    examiner = _examine(runner, [_run(first, {"v1"}), _run(second, {"v2"}, 3, "random")])

    assert _order_dependent(examiner) == {"v1": [["t05"]], "v2": [["t05"]]}
    probes = [order for order in runner.orders if order.count("v1") > 1 or order.count("v2") > 1]
    assert len(probes) == 1  # the second victim needed none: t05 was tried first


def test_every_run_the_victim_failed_in_is_searched_for_other_polluter_sets() -> None:
    # In file order only t03 precedes the victim; t25 comes before it only in the
    # random order, after t03 has run: both sets are found and the search is complete.
    runner = FakeRunner({"v": [{"t03"}, {"t25"}]})
    file_order = [*TESTS[:10], "v", *TESTS[10:]]
    shuffled = [*TESTS[20:], "v", *TESTS[:20]]

    examiner = _examine(runner, [_run(file_order, {"v"}), _run(shuffled, {"v"}, 9, "random")])

    finding = examiner.findings[0]
    assert sorted(finding.details["polluter_sets"]) == [["t03"], ["t25"]]
    assert finding.details["search_complete"] is True


def test_search_stops_at_max_sets_and_says_it_is_incomplete() -> None:
    runner = FakeRunner({"v": [{"t03"}, {"t08"}, {"t15"}]})

    examiner = _examine(runner, [_run([*TESTS, "v"], {"v"})], max_sets=2)

    finding = examiner.findings[0]
    assert len(finding.details["polluter_sets"]) == 2
    assert finding.details["search_complete"] is False


def test_past_the_budget_victims_are_listed_unsearched_with_a_command() -> None:
    runner = FakeRunner({"v": [{"t03"}]})

    examiner = _examine(runner, [_run([*TESTS, "v"], {"v"}, 4, "random")], deadline=0.0)

    assert examiner.findings == []
    assert [(n.kind, n.test, n.command) for n in examiner.notes] == [
        ("unsearched", "v", "pytest --order random 4")
    ]
    assert runner.runs == 0


def test_victim_not_failing_again_in_one_run_is_tried_in_the_next_it_failed_in() -> None:
    # The random run's failures were noise (t11, t12 and v never fail there one
    # process at a time); v's real polluter, t25, preceded it only in file order.
    runner = FakeRunner({"v": [{"t25"}]})
    noisy = ["v", *TESTS]
    file_order = [*TESTS, "v"]

    examiner = _examine(
        runner, [_run(file_order, {"v"}), _run(noisy, {"v", "t11", "t12"}, 2, "random")]
    )

    assert _order_dependent(examiner) == {"v": [["t25"]]}
    assert sorted((n.kind, n.test) for n in examiner.notes) == [
        ("unconfirmed", "t11"),
        ("unconfirmed", "t12"),
    ]


class CascadeRunner(FakeRunner):
    """``spreads``: tests that pollute only when they fail (they stop half-way and
    leave their state changed), as a password test that never changes it back."""

    def __init__(self, causes: dict[str, list[set[str]]], spreads: set[str], clock: list[float]):
        super().__init__(causes)
        self.spreads = spreads
        self.clock = clock

    def explicit(self, order: list[str]) -> list[Execution]:
        self.clock[0] += 10.0  # each run takes ten seconds
        executions = super().explicit(order)
        ran: set[str] = set()
        for execution in executions:
            execution.outcome = (
                "failed"
                if any(group <= ran for group in self.causes.get(execution.test, []))
                else "passed"
            )
            if execution.test not in self.spreads or execution.failed:
                ran.add(execution.test)
        return executions


def _template(monkeypatch) -> tuple[CascadeRunner, list[OrderRun], list[float], list[str]]:
    """The full-stack template's shape: 60 tests; t05 changes the account's e-mail,
    t20 (the password test) then fails and leaves the password changed, and twelve
    login tests after it fail; apart from them t08 fails after t57, which only the
    reverse order runs first."""
    clock = [0.0]
    monkeypatch.setattr(examine_module, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    tests = [f"t{index:02d}" for index in range(60)]
    logins = ["t30", "t31", "t33", "t35", "t40", "t41", "t44", "t47", "t50", "t52", "t55", "t58"]
    causes = {"t20": [{"t05"}], "t08": [{"t57"}], **{login: [{"t20"}] for login in logins}}
    runner = CascadeRunner(causes, {"t20"}, clock)
    runs = [
        _run(tests, {"t20", *logins}),
        _run(tests[::-1], {"t08"}, None, "reverse"),
    ]
    return runner, runs, clock, logins


def test_victim_that_fails_the_others_of_its_run_is_found_with_them(monkeypatch) -> None:
    runner, runs, clock, logins = _template(monkeypatch)

    examiner = _examine(runner, runs, deadline=clock[0] + 10_000)

    assert _order_dependent(examiner) == {
        "t08": [["t57"]],
        "t20": [["t05"]],
        **{login: [["t05", "t20"]] for login in logins},
    }
    assert all(finding.details["search_complete"] for finding in examiner.findings)
    # The shared search that assumed the logins fail after t05 took 195 runs.
    assert runner.runs <= 60


def test_victims_of_one_run_cannot_use_up_the_budget_of_the_others(monkeypatch) -> None:
    # Thirty runs' worth of budget: the simple victim of the reverse order gets its
    # share before the login tests, which take four runs each, use it up.
    runner, runs, clock, logins = _template(monkeypatch)

    examiner = _examine(runner, runs, deadline=clock[0] + 300)

    found = _order_dependent(examiner)
    assert found["t08"] == [["t57"]]
    assert found["t20"] == [["t05"]]
    unsearched = {note.test for note in examiner.notes if note.kind == "unsearched"}
    assert unsearched | set(found) == {"t08", "t20", *logins}
    assert all(note.command.startswith("pytest --order") for note in examiner.notes)


class FlipFlopRunner(FakeRunner):
    """``flipper`` fails on every other execution, whatever ran before it."""

    def __init__(self, flipper: str):
        super().__init__({})
        self.flipper = flipper
        self.executions = 0

    def explicit(self, order: list[str]) -> list[Execution]:
        executions = super().explicit(order)
        for execution in executions:
            if execution.test == self.flipper:
                self.executions += 1
                execution.outcome = "failed" if self.executions % 2 else "passed"
        return executions


def test_test_that_flips_on_every_execution_is_non_deterministic_not_order_dependent() -> None:
    for first in (0, 1):  # its first execution in the examination fails, or passes
        runner = FlipFlopRunner("t20")
        runner.executions = first
        runs = [_run(TESTS, {"t20"}), _run(TESTS[::-1], set(), None, "reverse")]

        examiner = _examine(runner, runs)

        assert [(f.kind, f.test) for f in examiner.findings] == [("non-deterministic", "t20")]
