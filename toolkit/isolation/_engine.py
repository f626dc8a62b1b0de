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

__all__ = ["DEFAULT_BUDGET", "FLAKY_SUGGESTION", "analyse", "order_plan"]


def order_plan(orders: int, seed: int) -> list[tuple[str, int | None]]:
    """The whole-suite runs: file order, its exact reverse, the interleaved order, then
    ``orders`` random orders with seeds hashed from ``seed``.

    File order and its reverse run every pair of tests in both relative orders, so a
    single polluter is exposed whatever the seed unless a test between them cleans
    up; the interleaved order (even units, then odd ones, at each level) makes units
    one apart neighbours, exposing the polluter that a cleaner hides in file order;
    random orders then break up wider cleaners and multi-test causes.
    """
    plan: list[tuple[str, int | None]] = [("file", None), ("reverse", None), ("interleave", None)]
    plan += [("random", derived_seed(seed, index)) for index in range(orders)]
    return plan


def analyse(
    root: Path | str,
    python: Path | str,
    *,
    paths: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    orders: int = 3,
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

    Runs the suite in file order, in its exact reverse, and in ``orders``
    pytest-randomly orders (seeds hashed from ``seed``, see :func:`order_plan`);
    ``jobs`` of them at once, each with its own database, TMPDIR and HOME. Every test
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
    if orders < 0 or max_sets < 1 or jobs < 1:
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
    runner = Runner(suite, work, say, separate=jobs > 1)
    runner.check_environment()
    base = seed if seed is not None else random.Random().randrange(10**9)
    runs = _order_runs(runner, order_plan(orders, base), jobs, leaks, say)
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
    return Report(runs, findings, runner.runs, notes, seconds, runner.leak_watch)


def _order_runs(
    runner: Runner,
    plan: list[tuple[str, int | None]],
    jobs: int,
    leaks: bool,
    say: Callable[[str], None],
) -> list[OrderRun]:
    """The whole-suite runs, ``jobs`` at a time; each concurrent run takes a free slot
    (its own database) and gives it back."""
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(max(1, jobs)):
        slots.put(slot)
    total = len(plan)

    def one(index: int, step: tuple[str, int | None]) -> OrderRun:
        order, seed = step
        slot = slots.get()
        try:
            label = f"random order, seed {seed}" if order == "random" else f"{order} order"
            say(f"order {index + 1}/{total}: {label}")
            executions = runner.whole_suite(order, seed, leaks=leaks and index == 0, slot=slot)
            failed = len({e.test for e in executions if e.failed})
            say(
                f"order {index + 1}/{total}: {len({e.test for e in executions})} tests, {failed} "
                "failed"
            )
            return OrderRun(seed, executions, order)
        finally:
            slots.put(slot)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, range(total), plan))
