"""The pipeline: whole-suite orders, then, for each test whose outcome depends on the
run, a classification and a search for its cause, each step an explicit pytest run."""

from __future__ import annotations

import queue
import random
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from toolkit.isolation._report import KINDS, Finding, OrderRun, Report
from toolkit.isolation._reportlog import Execution
from toolkit.isolation._runner import LEAK_PLUGIN, Runner, Suite
from toolkit.isolation._search import Search

__all__ = ["analyse"]

FLAKY_SUGGESTION = "@pytest.mark.flaky(reruns=2)"


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
    max_sets: int = 5,
    work_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    reproduce_with: Sequence[str] = (),
) -> Report:
    """Analyse the suite under ``root`` (pytest's working directory) with ``python``.

    Runs the suite in file order, then in ``orders`` pytest-randomly orders (seeds
    ``seed``, ``seed + 1``, ...; ``jobs`` of them at once, each on its own database).
    A test that fails in some of those runs and passes in others is re-run, alone and
    after the tests that ran before it, to tell order dependence from chance, and its
    polluters (or state-setters) are searched for in explicit orders, single-process
    even when ``args`` ask for xdist. With ``leaks``, the file-order run also watches
    the package's database for rows a test leaves behind. Nothing is printed: each step
    is told to ``progress``; pytest's own output stays in ``work_dir``.

    Each finding's ``reproduce`` command is ``cd root && python -m pytest ...``, or,
    with ``reproduce_with``, that command line followed by pytest's arguments (e.g.
    ``toolkit reproduce <package> --``, which brings its own server and settings).
    """
    say = progress or (lambda message: None)
    suite = Suite(
        Path(root), Path(python), tuple(paths), dict(env or {}), tuple(args), tuple(reproduce_with)
    )
    work = work_dir or Path(tempfile.mkdtemp(prefix="toolkit-isolation-"))
    runner = Runner(suite, work, say)
    base = seed if seed is not None else random.Random().randrange(10**9)
    runs = _order_runs(runner, [None, *(base + index for index in range(orders))], jobs, leaks, say)
    findings = _leak_findings(runner, runs[0]) if leaks else []
    suspects, always = _suspects(runs)
    if suspects:
        say(f"{len(suspects)} test(s) pass in some orders and fail in others: classifying")
    for test in suspects:
        findings.append(_classify(runner, runs, test, max_sets, say))
    findings.sort(key=lambda finding: (KINDS.index(finding.kind), finding.test))
    return Report(runs, findings, runner.runs, always)


def _order_runs(
    runner: Runner, seeds: list[int | None], jobs: int, leaks: bool, say: Callable[[str], None]
) -> list[OrderRun]:
    """The whole-suite runs, ``jobs`` at a time; each concurrent run takes a free slot
    (its own database) and gives it back."""
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(max(1, jobs)):
        slots.put(slot)
    total = len(seeds)

    def one(index: int, seed: int | None) -> OrderRun:
        slot = slots.get()
        try:
            label = "file order" if seed is None else f"random order, seed {seed}"
            say(f"order {index + 1}/{total}: {label}")
            executions = runner.whole_suite(seed, leaks=leaks and seed is None, slot=slot)
            failed = len({e.test for e in executions if e.failed})
            say(
                f"order {index + 1}/{total}: {len({e.test for e in executions})} tests, {failed} failed"
            )
            return OrderRun(seed, executions)
        finally:
            slots.put(slot)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, range(total), seeds))


def _suspects(runs: list[OrderRun]) -> tuple[list[str], list[str]]:
    """Tests that failed in some runs and passed in others; tests that always failed."""
    outcomes: dict[str, set[str]] = {}
    for run in runs:
        for execution in run.executions:
            if execution.outcome != "skipped":
                outcomes.setdefault(execution.test, set()).add(execution.outcome)
    suspects = sorted(test for test, seen in outcomes.items() if seen == {"passed", "failed"})
    always = sorted(test for test, seen in outcomes.items() if seen == {"failed"})
    return suspects, always


def _leak_findings(runner: Runner, baseline: OrderRun) -> list[Finding]:
    return [
        Finding(
            "database-leak",
            execution.test,
            None,
            runner.replay([execution.test], "-p", LEAK_PLUGIN, "--isolation-leaks=fail"),
            details={"tables": execution.leak},
        )
        for execution in baseline.executions
        if execution.leak
    ]


def _oracle(
    runner: Runner, victim: str, flip: Callable[[Execution], bool], say: Callable[[str], None]
):
    def run(order: list[str]) -> list[bool]:
        say(
            f"{victim}: explicit run of {len(order)} test executions ({runner.runs + 1} pytest runs so far)"
        )
        return [flip(execution) for execution in runner.explicit(order) if execution.test == victim]

    return run


def _without(tests: Iterable[str], excluded: set[str]) -> list[str]:
    return [test for test in tests if test not in excluded]


def _narrowest(
    runs: list[OrderRun], victim: str, excluded: set[str]
) -> tuple[OrderRun, list[str], list[str]]:
    """The run leaving the fewest candidates once ``excluded`` tests are dropped from
    what ran before the victim; with its full prefix and those candidates."""
    run = min(runs, key=lambda candidate: len(_without(candidate.prefix(victim), excluded)))
    prefix = run.prefix(victim)
    return run, prefix, _without(prefix, excluded)


def _search(
    runner: Runner,
    victim: str,
    prefix: list[str],
    seconds: float,
    flipped: Callable[[Execution], bool],
    say: Callable[[str], None],
) -> Search:
    """A search over ``prefix`` whose oracle asks whether the victim ``flipped``."""
    return Search(
        victim,
        _oracle(runner, victim, flipped, say),
        {test: index for index, test in enumerate(prefix)},
        seconds,
    )


def _classify(
    runner: Runner, runs: list[OrderRun], victim: str, max_sets: int, say: Callable[[str], None]
) -> Finding:
    failing = [run for run in runs if run.outcome(victim) == "failed"]
    passing = [run for run in runs if run.outcome(victim) == "passed"]
    after_pass = {test for run in passing for test in run.prefix(victim)}
    after_fail = {test for run in failing for test in run.prefix(victim)}
    seconds = max(e.duration for run in runs for e in run.executions if e.test == victim)
    # Candidates: tests before the victim in a failing run, less those it passed after
    # elsewhere (exact for single polluters; checked by runs).
    failed_in, prefix, candidates = _narrowest(failing, victim, after_pass)
    search = _search(runner, victim, prefix, seconds, lambda e: e.failed, say)
    say(
        f"{victim}: alone, then after {len(candidates)} candidate polluter(s) from the {failed_in.label} run"
    )
    fails_alone, last = search.alone_and_last(candidates)
    if fails_alone is False:
        found = search.minimal_set(candidates, last) if last is not None else None
        if found is None and search.flips(prefix):  # cached when already run
            candidates = prefix
            found = search.minimal_set(prefix)
        if found is not None:
            sets, complete = search.all_sets(candidates, found, max_sets)
            say(f"{victim}: order-dependent, polluted by {' ; '.join(' + '.join(s) for s in sets)}")
            return Finding(
                "order-dependent",
                victim,
                failed_in.seed,
                runner.replay([*sets[0], victim]),
                polluters=list(dict.fromkeys(test for group in sets for test in group)),
                details={
                    "polluter_sets": sets,
                    "search_complete": complete,
                    "order": "file" if failed_in.seed is None else "random",
                },
            )
    elif fails_alone is True and passing:
        finding = _brittle(runner, runs, victim, passing, after_fail, seconds, max_sets, say)
        if finding is not None:
            return finding
    return _non_deterministic(runner, runs, victim, failing)


def _brittle(
    runner: Runner,
    runs: list[OrderRun],
    victim: str,
    passing: list[OrderRun],
    after_fail: set[str],
    seconds: float,
    max_sets: int,
    say: Callable[[str], None],
) -> Finding | None:
    """The victim fails alone: find the tests after which it passes (state-setters)."""
    passed_in, prefix, candidates = _narrowest(passing, victim, after_fail)
    search = _search(runner, victim, prefix, seconds, lambda e: e.passed, say)
    say(
        f"{victim}: fails alone; state-setters among {len(candidates)} test(s) of the {passed_in.label} run"
    )
    found = search.minimal_set(candidates) if candidates else None
    if found is None and candidates != prefix and search.flips(prefix):
        candidates = prefix
        found = search.minimal_set(prefix)
    if found is None:
        return None
    sets, complete = search.all_sets(candidates, found, max_sets)
    failed_in = next(run for run in runs if run.outcome(victim) == "failed")
    say(f"{victim}: brittle, passes after {' ; '.join(' + '.join(s) for s in sets)}")
    return Finding(
        "brittle",
        victim,
        failed_in.seed,
        runner.replay([victim]),
        state_setters=list(dict.fromkeys(test for group in sets for test in group)),
        details={
            "state_setter_sets": sets,
            "search_complete": complete,
            "passes_with": runner.replay([*sets[0], victim]),
        },
    )


def _non_deterministic(
    runner: Runner, runs: list[OrderRun], victim: str, failing: list[OrderRun]
) -> Finding:
    marked = any(e.marked_flaky for run in runs for e in run.executions if e.test == victim)
    details: dict = {"marked_flaky": marked, "failed_in": [run.seed for run in failing]}
    if not marked:
        details["suggestion"] = f"mark it {FLAKY_SUGGESTION} while its cause is fixed"
    return Finding(
        "non-deterministic",
        victim,
        failing[0].seed,
        runner.replay_order(failing[0].seed),
        details=details,
    )
