"""Recall of the isolation engine on the planted suites, over many base seeds.

The planted suites (``tests/integration/isolation/suites.py``: a cwd leak with many
early polluters, an environment variable set in ``setUpClass`` with a cleaning class
between, a module-level registry with two independent polluters per victim, one
polluter with eight victims, a cascade where one victim fails the others beside a
pair only the reverse order shows, and a trap of order-independent tests sharing a
fixed /tmp path) are each analysed with ``--seeds`` base seeds, with the session's defaults
(two orders at a time, each with its own TMPDIR and HOME) and with ``-n 2``. A seed
counts as right when every victim is found with every planted polluter set, the
search says it is complete, and nothing else is reported (zero findings on the trap).

The test suite runs the same check on two seeds per suite
(``tests/integration/isolation/test_planted.py``); this script is the full sweep::

    python benchmarks/isolation_recall.py [--seeds 20] [--base 1] [--suite NAME ...]
        [--mode default|xdist ...] [--python PATH]

Each analysis is 12 to 45 pytest runs (one to four minutes on a busy two-core
machine); the whole sweep of 20 seeds takes several hours there.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import heading, render_table

from tests.integration.isolation.suites import PLANTED, misses, remove_shared_folder
from toolkit.isolation import analyse

MODES = {"default": ((), 2), "xdist": (("-n", "2"), 1)}


def _exposed(report, expected: dict) -> dict[str, float]:
    """Per order kind, the share of planted victims that failed in such a run: what
    each order contributes (random: averaged over the random runs)."""
    shares: dict[str, list[float]] = {}
    for run in report.runs:
        failed = set(run.failed())
        shares.setdefault(run.order, []).append(
            len(failed & set(expected)) / len(expected) if expected else 0.0
        )
    return {order: sum(values) / len(values) for order, values in shares.items()}


def _one(python: Path, name: str, seed: int, mode: str) -> tuple:
    """(right, victims found, victims planted, pytest runs, seconds, problems, exposed)."""
    scratch = Path(tempfile.mkdtemp(prefix="isolation-recall-"))
    try:
        root, expected = PLANTED[name](scratch / "suite")
        args, jobs = MODES[mode]
        try:
            report = analyse(
                root,
                python,
                paths=["tests"],
                seed=seed,
                args=args,
                jobs=jobs,
                work_dir=scratch / "work",
            )
        finally:
            remove_shared_folder(root)
        problems = misses(report, expected)
        found = sum(
            1 for f in report.findings if f.kind == "order-dependent" and f.test in expected
        )
        return (
            not problems,
            found,
            len(expected),
            report.pytest_runs,
            report.seconds,
            problems,
            _exposed(report, expected),
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--base", type=int, default=1)
    parser.add_argument("--suite", action="append", choices=sorted(PLANTED))
    parser.add_argument("--mode", action="append", choices=sorted(MODES))
    parser.add_argument("--python", type=Path, default=Path(sys.executable))
    options = parser.parse_args()
    rows = []
    for name in options.suite or list(PLANTED):
        for mode in options.mode or list(MODES):
            results = []
            for seed in range(options.base, options.base + options.seeds):
                result = _one(options.python, name, seed, mode)
                results.append(result)
                verdict = "right" if result[0] else "; ".join(result[5])
                print(
                    f"{name} {mode} seed {seed}: {result[3]} runs, {result[4]:.1f} s, {verdict}",
                    flush=True,
                )
            right = sum(r[0] for r in results)
            kinds = ("file", "reverse", "interleave", "random")
            exposure = " ".join(
                f"{kind[:3]} {sum(r[6].get(kind, 0) for r in results) / len(results):.0%}"
                for kind in kinds
            )
            found = sum(r[1] for r in results)
            planted = sum(r[2] for r in results)
            rows.append(
                [
                    name,
                    mode,
                    f"{right}/{len(results)}",
                    f"{found}/{planted}" if planted else "-",
                    f"{statistics.median(r[3] for r in results):.0f} "
                    f"({min(r[3] for r in results)}..{max(r[3] for r in results)})",
                    f"{statistics.median(r[4] for r in results):.1f}",
                    exposure if planted else "-",
                ]
            )
    heading(f"planted suites, base seeds {options.base}..{options.base + options.seeds - 1}")
    print(
        render_table(
            [
                "suite",
                "mode",
                "seeds right",
                "victims found",
                "pytest runs (median, min..max)",
                "wall s (median)",
                "victims failing per order kind",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
