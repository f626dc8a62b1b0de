"""The pipeline: whole-suite orders, then every test that failed in one of them
examined in explicit, sequential pytest runs (:mod:`toolkit.isolation._examine`)."""

from __future__ import annotations

import queue
import random
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from toolkit.isolation._examine import FLAKY_SUGGESTION, Examiner
from toolkit.isolation._exposure import Exposure, sibling_groups
from toolkit.isolation._leaks import confirmed_leaks
from toolkit.isolation._report import KINDS, OrderRun, Report
from toolkit.isolation._runner import (
    IsolationError,
    Runner,
    Suite,
    derived_seed,
    resolve_python,
)
from toolkit.isolation.budget import DEFAULT_BUDGET, DEFAULT_MAX_SETS

__all__ = [
    "DEFAULT_BUDGET",
    "DETERMINISTIC_ORDERS",
    "FLAKY_SUGGESTION",
    "analyse",
    "order_plan",
    "random_orders",
]


#: The whole-suite orders every analysis runs, whatever the seed.
DETERMINISTIC_ORDERS = ("file", "reverse", "interleave", "reverse-interleave", "alone")
#: Random orders when ``orders`` is not given: one per unit of the largest group of
#: siblings, within these bounds, and within the time ``isolation_budget`` leaves.
MIN_RANDOM, MAX_RANDOM = 3, 20
#: The share of the budget left after the deterministic orders that random orders may take.
_RANDOM_SHARE = 0.4


def order_plan(orders: int, seed: int) -> list[tuple[str, int | None]]:
    """The whole-suite runs: file order, its exact reverse, the interleaved order and
    its reverse, each test alone, then ``orders`` random orders with seeds hashed from
    ``seed``.

    File order and its reverse run every pair of tests in both relative orders, and
    units (modules; classes and functions of a module; tests of a class) one apart in
    file order as direct neighbours both ways; the interleaved order (even units, then
    odd ones, at each level) and its reverse make units two apart neighbours both ways,
    exposing a polluter that a cleaner between them hides in file order, whichever of
    the two comes first. Each test alone (one forked process each) shows the tests that
    fail when nothing ran before them. Random orders then break up wider cleaners and
    multi-test causes.
    """
    plan: list[tuple[str, int | None]] = [(order, None) for order in DETERMINISTIC_ORDERS]
    plan += [("random", derived_seed(seed, index)) for index in range(orders)]
    return plan


def random_orders(
    tests: Sequence[str], seconds: float, budget_left: float | None, jobs: int
) -> tuple[int, int]:
    """How many random orders to run when the user did not say: one per unit of the
    largest group of siblings (see :func:`~toolkit.isolation._exposure.sibling_groups`),
    from :data:`MIN_RANDOM` to :data:`MAX_RANDOM`, and no more than a share of the
    budget left allows at ``seconds`` per order, ``jobs`` at a time (at least one).
    Returns (orders, the number the suite's size asked for)."""
    largest = max((len(group) for group in sibling_groups(tests)), default=0)
    wanted = min(MAX_RANDOM, max(MIN_RANDOM, largest))
    if budget_left is None:
        return wanted, wanted
    affordable = int(max(0.0, budget_left) * _RANDOM_SHARE * jobs / max(seconds, 0.01))
    return max(1, min(wanted, affordable)), wanted


def analyse(
    root: Path | str,
    python: Path | str,
    *,
    paths: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    orders: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    leaks: bool = True,
    max_sets: int = DEFAULT_MAX_SETS,
    budget: float | None = DEFAULT_BUDGET,
    work_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    reproduce_with: Sequence[str] = (),
) -> Report:
    """Analyse the suite under ``root`` (pytest's working directory) with ``python``.

    Runs the suite in file order, in its exact reverse, interleaved and reversed
    interleaved, each test alone, and in ``orders`` pytest-randomly orders (seeds
    hashed from ``seed``, see :func:`order_plan`; None: as many as the suite's size
    asks and the budget allows, see :func:`random_orders`); ``jobs`` of them at once.
    Every run the engine starts has its own HOME and TMPDIR (and a database of its own
    when runs go on at once). The report's ``exposure`` says which neighbours the
    orders covered and what to raise for more. Every test
    that failed in any of them is then examined in sequential runs, each in a fresh
    process: it fails alone (listed, not a finding), or passes alone and its polluter
    sets are searched (up to ``max_sets`` each; victims of one run together), or it is
    brittle, or non-deterministic; a failure that does not come back one process at a
    time is listed as unconfirmed. Past ``budget`` seconds (None: no limit) the search
    stops and unsearched victims are listed. With ``leaks``, the file-order run also
    watches the database named by ``DATABASE_URL`` for what a test, or a fixture wider
    than a function, leaves behind; each such leak is reported once its own command
    shows it again (:mod:`toolkit.isolation._leaks`), else listed as unconfirmed.

    Nothing is printed: each step is told to ``progress``; pytest's output stays in
    ``work_dir``. Raises :class:`IsolationError` (a ``ToolkitError``: cause and fix in
    one line) when the suite or its environment cannot be analysed.

    Each finding's ``reproduce`` command is ``cd root && python -m pytest ...``, or,
    with ``reproduce_with``, that command line followed by pytest's arguments (e.g.
    ``toolkit reproduce <package> --``, which brings its own server and settings).
    """
    started = time.monotonic()
    say = progress or (lambda message: None)
    folder = Path(root).expanduser().absolute()
    if not folder.is_dir():
        raise IsolationError(
            f"the suite's folder {str(root)!r} ({folder}) is not a directory",
            "pass the folder pytest runs in (the package's root)",
        )
    if (orders is not None and orders < 0) or max_sets < 1 or jobs < 1:
        raise IsolationError(
            f"orders={orders}, max_sets={max_sets}, jobs={jobs}: out of range",
            "use orders >= 0, max_sets >= 1, jobs >= 1",
        )
    suite = Suite(
        folder,
        resolve_python(python),
        tuple(paths),
        dict(env or {}),
        tuple(args),
        tuple(reproduce_with),
    )
    work = (
        Path(work_dir).absolute()
        if work_dir
        else Path(tempfile.mkdtemp(prefix="toolkit-isolation-"))
    )
    runner = Runner(suite, work, say)
    runner.check_environment()
    base = seed if seed is not None else random.Random().randrange(10**9)
    plan = order_plan(0, base)
    runs, seconds = _order_runs(runner, plan, jobs, leaks, say)
    tests = [e.test for e in runs[0].executions]
    if orders is None:
        left = None if budget is None else budget - (time.monotonic() - started)
        orders, wanted = random_orders(tests, seconds, left, jobs)
    else:
        wanted = random_orders(tests, seconds, None, jobs)[1]
    more, _ = _order_runs(
        runner, order_plan(orders, base)[len(plan) :], jobs, False, say, randomised=True
    )
    runs += more
    exposure = Exposure.of(runs, tests, orders, wanted)
    say(exposure.line())
    deadline = started + budget if budget is not None else float("inf")
    findings, notes = (
        confirmed_leaks(runner, runs[0], deadline=deadline, say=say) if leaks else ([], [])
    )
    examiner = Examiner(runner, runs, max_sets=max_sets, deadline=deadline, say=say)
    examiner.examine()
    findings += examiner.findings
    findings.sort(key=lambda finding: (KINDS.index(finding.kind), finding.test))
    notes = sorted(notes + examiner.notes, key=lambda note: (note.kind, note.test))
    seconds = time.monotonic() - started
    return Report(runs, findings, runner.runs, notes, seconds, runner.leak_watch, exposure=exposure)


def _order_runs(
    runner: Runner,
    plan: list[tuple[str, int | None]],
    jobs: int,
    leaks: bool,
    say: Callable[[str], None],
    *,
    randomised: bool = False,
) -> tuple[list[OrderRun], float]:
    """The whole-suite runs, ``jobs`` at a time; each concurrent run takes a free slot
    (its own database) and gives it back; ``randomised``: the plan's random orders, counted
    on their own. Also returns the longest wall time of one run in one process (the
    ``alone`` order forks per test and is not one)."""
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(max(1, jobs)):
        slots.put(slot)
    walls: list[float] = []

    def one(index: int, step: tuple[str, int | None]) -> OrderRun:
        order, seed = step
        slot = slots.get()
        try:
            # "order 1/5: file order", then "random order 1/7: seed 123".
            step_name = (
                f"random order {index + 1}/{len(plan)}"
                if randomised
                else f"order {index + 1}/{len(plan)}"
            )
            label = f"seed {seed}" if order == "random" else f"{order} order"
            say(f"{step_name}: {label}")
            started = time.monotonic()
            executions = runner.whole_suite(order, seed, leaks=leaks and index == 0, slot=slot)
            if order != "alone":
                walls.append(time.monotonic() - started)
            failed = len({e.test for e in executions if e.failed})
            say(f"{step_name}: {len({e.test for e in executions})} tests, {failed} failed")
            return OrderRun(seed, executions, order)
        finally:
            slots.put(slot)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(pool.map(one, range(len(plan)), plan))
    return runs, max(walls, default=0.0)
