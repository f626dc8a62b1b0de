"""The engine on one planted suite per mechanism real suites showed, with the
session's defaults and under xdist (``-- -n 2``).

Each planted suite (``suites.PLANTED``) says which victims and polluter sets the
engine must report; the trap (order-independent tests sharing a fixed /tmp path)
must give no finding at all. Here each suite runs with one base seed and the
session's defaults, and the two suites where workers matter most (one polluter with
eight victims spread over both workers, the trap) also with ``-n 2``: about six
minutes on two cores. ``benchmarks/isolation_recall.py`` runs the same suites and
check over 20 base seeds each, both ways, and prints the recall.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.integration.isolation.suites import PLANTED, misses, remove_shared_folder
from toolkit.isolation import analyse

PYTHON = Path(sys.executable)

pytestmark = pytest.mark.slow

CASES = [pytest.param(name, 11, (), id=f"{name}-seed11") for name in PLANTED] + [
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
