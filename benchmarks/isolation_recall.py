"""Recall of the isolation engine on the planted suites, over many base seeds.

The planted suites (``tests/integration/isolation/suites.py``: a cwd leak with many
early polluters, an environment variable set in ``setUpClass`` with a cleaning class
between, the same with the victims' class first, a module-level registry with two
independent polluters per victim, one polluter with eight victims, ten polluting
classes with 38 victims, a cascade where one victim fails the others beside a pair only
the reverse order shows, six brittle tests that fail only when run first, and a trap of
order-independent tests sharing a fixed /tmp path) are each analysed with ``--seeds``
base seeds, with the session's defaults (two orders at a time) and with ``-n 2``. A
seed counts as right when every victim is found with every planted polluter set (every
brittle test with state-setters of its own), the search says it is complete, and
nothing else is reported (zero findings on the trap).

The engine runs whole: the same plan, search and confirmation. What makes the sweep
short is where its pytest runs happen. For every suite whose outcomes depend only
on the order of its tests in one process, one pytest process
collects the suite once and runs each order the engine asks for in a process forked
for that run (``benchmarks/_forkserve.py``): random orders are shuffled by
pytest-randomly's own code with the run's seed, so each run is the run the engine
would start, without the start-up. What that cannot reproduce runs for real: the
trap's whole-suite orders (it fails only when two run side by side; its explicit runs,
one at a time, are forked) and, with ``-n 2``, the random orders xdist spreads over its
workers (which worker gets which test depends on timing). ``--real`` runs everything
for real::

    python benchmarks/isolation_recall.py [--seeds 20] [--base 1] [--suite NAME ...]
        [--mode default|xdist ...] [--python PATH] [--real]

The test suite runs the same check on one seed per suite
(``tests/integration/isolation/test_planted.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import heading, render_table

from tests.integration.isolation.suites import PLANTED, misses, remove_shared_folder
from toolkit.isolation import _engine, analyse
from toolkit.isolation._reportlog import Execution
from toolkit.isolation._runner import Runner, Suite, uses_xdist

MODES = {"default": ((), 2), "xdist": (("-n", "2"), 1)}
#: Suites whose whole-suite orders collide when two run at once: those orders run for
#: real; their explicit runs, one at a time, are forked like any other suite's.
REAL_ORDERS = {"fixed-tmp-path"}


class ForkServer:
    """One pytest process that collected a suite and forks a process per run."""

    def __init__(self, python: Path, root: Path) -> None:
        to_server, self._requests = os.pipe()
        self._replies, from_server = os.pipe()
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent)}
        home = root.parent / "forkserve-home"
        (home / "tmp").mkdir(parents=True, exist_ok=True)
        env.update(HOME=str(home), TMPDIR=str(home / "tmp"))
        self.process = subprocess.Popen(
            [
                str(python),
                "-m",
                "pytest",
                "tests",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "randomly",
                "--randomly-dont-reorganize",
                "--randomly-dont-reset-seed",
                "-p",
                "_forkserve",
                f"--forkserve={to_server},{from_server}",
            ],
            cwd=root,
            env=env,
            pass_fds=(to_server, from_server),
            stdout=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        os.close(to_server)
        os.close(from_server)
        self._write = os.fdopen(self._requests, "w")
        self._read = os.fdopen(self._replies)
        self._lock = threading.Lock()
        self._replies_by_request: dict[str, str] = {}
        self.served = self.forked = 0

    def executions(self, request: dict, alone: bool = False) -> list[Execution]:
        """The run's executions. The same request always gets the same outcomes (that
        is what makes a suite fit for forking), so each is forked once per sweep."""
        key = json.dumps(request, sort_keys=True)
        with self._lock:
            self.served += 1
            line = self._replies_by_request.get(key, "")
            if not line:
                self.forked += 1
                self._write.write(key + "\n")
                self._write.flush()
                line = self._read.readline()
                self._replies_by_request[key] = line
        if not line:
            raise RuntimeError("the fork server ended")
        executions = []
        for number, process in enumerate(json.loads(line)):
            worker = f"alone-{number}" if alone else ""
            for position, (test, outcome, seconds) in enumerate(process):
                executions.append(Execution(test, worker, position, outcome, seconds))
        return executions

    def close(self) -> None:
        self._write.close()
        self.process.wait(timeout=60)
        self._read.close()


def _forked_runner(
    server: ForkServer, real_orders: bool = False
) -> Callable[[Suite, Path, Callable[[str], None]], Runner]:
    """A Runner whose runs are served by ``server``, except xdist's random orders (and
    with ``real_orders``, every whole-suite order)."""

    class Forked(Runner):
        def check_environment(self) -> None:
            """The server collected the suite with every plugin the runs load."""

        def whole_suite(
            self, order: str, seed: int | None, *, leaks: bool, slot: int = 0
        ) -> list[Execution]:
            if real_orders or (order == "random" and uses_xdist(self.suite.args)):
                return super().whole_suite(order, seed, leaks=leaks, slot=slot)
            self.runs += 1
            return server.executions({"order": order, "seed": seed}, alone=order == "alone")

        def explicit(self, order: Sequence[str]) -> list[Execution]:
            self.runs += 1
            return server.executions({"ids": list(order)})

    return Forked


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


def _one(python: Path, name: str, seed: int, mode: str, prepared: tuple | None) -> tuple:
    """(right, victims found, victims planted, pytest runs, seconds, problems, exposed,
    random orders). ``prepared``: the suite's folder, expectations and fork server,
    shared by every seed and mode (None: a suite of its own, every run for real)."""
    scratch = Path(tempfile.mkdtemp(prefix="isolation-recall-"))
    try:
        if prepared is None:
            root, expected = PLANTED[name](scratch / "suite")
            server = None
        else:
            root, expected, server = prepared
            _engine.Runner = _forked_runner(server, name in REAL_ORDERS)  # type: ignore[misc]
        args, jobs = MODES[mode]
        started = time.monotonic()
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
            _engine.Runner = Runner  # type: ignore[misc]
            if prepared is None:
                remove_shared_folder(root)
        seconds = time.monotonic() - started
        problems = misses(report, expected)
        found = sum(
            1
            for f in report.findings
            if f.kind in ("order-dependent", "brittle") and f.test in expected
        )
        return (
            not problems,
            found,
            len(expected),
            report.pytest_runs,
            seconds,
            problems,
            _exposed(report, expected),
            report.exposure.random if report.exposure else 0,
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
    parser.add_argument("--real", action="store_true", help="every run a real pytest run")
    options = parser.parse_args()
    rows = []
    sweep = time.monotonic()
    for name in options.suite or list(PLANTED):
        prepared = None
        if not options.real:
            folder = Path(tempfile.mkdtemp(prefix="isolation-recall-suite-"))
            root, expected = PLANTED[name](folder / "suite")
            prepared = (root, expected, ForkServer(options.python, root))
        for mode in options.mode or list(MODES):
            results = []
            for seed in range(options.base, options.base + options.seeds):
                result = _one(options.python, name, seed, mode, prepared)
                results.append(result)
                verdict = "right" if result[0] else "; ".join(result[5])
                print(
                    f"{name} {mode} seed {seed}: {result[3]} runs, {result[4]:.1f} s, {verdict}",
                    flush=True,
                )
            right = sum(r[0] for r in results)
            if prepared is not None:
                print(
                    f"{name} {mode}: {prepared[2].served} runs served by forks, "
                    f"{prepared[2].forked} of them forked (the others repeated earlier ones)",
                    flush=True,
                )
            kinds = {
                "file": "fil",
                "reverse": "rev",
                "interleave": "int",
                "reverse-interleave": "rin",
                "alone": "alo",
                "random": "rnd",
            }
            exposure = " ".join(
                f"{short} {sum(r[6].get(kind, 0) for r in results) / len(results):.0%}"
                for kind, short in kinds.items()
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
                    f"{statistics.median(r[7] for r in results):.0f}",
                    f"{statistics.median(r[4] for r in results):.1f}",
                    exposure if planted else "-",
                ]
            )
        if prepared is not None:
            prepared[2].close()
            remove_shared_folder(prepared[0])
            shutil.rmtree(prepared[0].parent, ignore_errors=True)
    heading(f"planted suites, base seeds {options.base}..{options.base + options.seeds - 1}")
    print(
        render_table(
            [
                "suite",
                "mode",
                "seeds right",
                "victims found",
                "pytest runs (median, min..max)",
                "random orders",
                "wall s (median)",
                "victims failing per order kind",
            ],
            rows,
        )
    )
    print(f"sweep: {time.monotonic() - sweep:.0f} s", flush=True)


if __name__ == "__main__":
    main()
