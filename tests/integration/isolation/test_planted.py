"""The engine on one planted suite per mechanism real suites showed, with the
session's defaults and under xdist (``-- -n 2``).

Each planted suite (``suites.PLANTED``) says which victims and polluter sets the
engine must report; the trap (order-independent tests sharing a fixed /tmp path)
must give no finding at all. Here each suite but the largest runs with one base seed
and the session's defaults, and the two suites where workers matter most (one
polluter with eight victims spread over both workers, the trap) also with ``-n 2``. ``benchmarks/isolation_recall.py`` runs the same suites and
check over 20 base seeds each, both ways, and prints the recall.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.integration.isolation.suites import (
    PLANTED,
    cascade,
    flip_flop,
    misses,
    remove_shared_folder,
)
from toolkit.isolation import analyse

PYTHON = Path(sys.executable)

pytestmark = pytest.mark.slow

#: Ten polluting classes and 38 victims take about 200 runs: the sweep covers them.
SWEEP_ONLY = {"many-polluting-classes"}

CASES = [
    pytest.param(name, 11, (), id=f"{name}-seed11") for name in PLANTED if name not in SWEEP_ONLY
] + [
    pytest.param(name, 12, ("-n", "2"), id=f"{name}-seed12-xdist")
    for name in ("one-polluter-eight-victims", "fixed-tmp-path")
]


def _jobs(args: tuple[str, ...]) -> int:
    """As the session: two orders at once, unless xdist already spreads each run."""
    return 1 if args else 2


@pytest.mark.parametrize(("name", "seed", "args"), CASES)
def test_planted_victims_and_polluter_sets_are_all_found_and_the_trap_gives_nothing(
    tmp_path: Path, name: str, seed: int, args: tuple[str, ...]
) -> None:
    root, expected = PLANTED[name](tmp_path / "suite")
    try:
        report = analyse(
            root,
            PYTHON,
            paths=["tests"],
            seed=seed,
            args=args,
            jobs=_jobs(args),
            work_dir=tmp_path / "work",
        )
    finally:
        remove_shared_folder(root)

    assert misses(report, expected) == []
    assert not report.noted("unsearched")
    for finding in report.findings:
        assert "-n" not in finding.reproduce.split()


def test_victim_that_fails_the_others_of_its_run_costs_no_search_that_cannot_succeed(
    tmp_path: Path,
) -> None:
    # The password test fails after the e-mail test and, failing, fails the login
    # tests: a search assuming they fail after the tests before them, without the
    # password test, spent 67 runs past the orders here (on the template, 19 minutes
    # for nothing); searched on their own, from the run that shows it, about 33.
    root, expected = cascade(tmp_path / "suite")

    report = analyse(root, PYTHON, paths=["tests"], seed=11, jobs=2, work_dir=tmp_path / "work")

    assert misses(report, expected) == []
    assert report.pytest_runs - len(report.runs) <= 40


def test_test_that_flips_on_every_execution_is_never_order_dependent(tmp_path: Path) -> None:
    root, _ = flip_flop(tmp_path / "suite")

    report = analyse(root, PYTHON, paths=["tests"], seed=11, work_dir=tmp_path / "work")

    assert [(f.kind, f.test) for f in report.findings] == [
        ("non-deterministic", "tests/test_a_flips.py::test_flips")
    ]
