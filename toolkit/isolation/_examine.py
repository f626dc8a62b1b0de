"""Every test that failed in some whole-suite order, examined one process at a time.

Whole-suite runs may have gone on at once, or under xdist: what they show is a signal,
not a finding. Each signal is checked in fresh, sequential pytest runs:

1. The run where most of them failed, replayed exactly (what ran in that process, up
   to the last of them), one process at a time. Victims that fail again are looked
   at further; the others are tried in the next run they failed in, and once every
   such run was replayed in vain, get two more replays: failing in one makes them
   non-deterministic (failed and passed in the same order), never failing again
   leaves an *unconfirmed* note, never a finding.
2. Each victim alone. Failing alone: brittle if it passed in some order (its
   state-setters are searched), else it "fails alone", a plain failure for the unit
   and integration layers to show.
3. Victims that pass alone are order-dependent. Their polluters are searched for all
   of them together: polluter sets already known are tried first, then one shared
   probe narrows every victim of the run at once, then each set is confirmed by the
   plain run ``polluters... victim`` that becomes the finding's command.
4. Once a victim's sets are found in one run, every other run it failed in is checked
   with those sets left out: ``search_complete`` is true only when no run it failed in
   can still make it fail.

Past the deadline, victims not yet searched are listed with the command that shows
them failing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from toolkit.isolation._report import Finding, Note, OrderRun
from toolkit.isolation._reportlog import Execution
from toolkit.isolation._runner import Runner
from toolkit.isolation._search import Search, shared_last

__all__ = ["FLAKY_SUGGESTION", "Examiner"]

FLAKY_SUGGESTION = "@pytest.mark.flaky(reruns=2)"
_REPLAYS = 2  # extra replays of a run whose victim did not fail again


@dataclass
class _Victim:
    """One failing test and what is known about it so far."""

    test: str
    failing: list[OrderRun]
    passing: list[OrderRun]
    seconds: float
    sets: list[list[str]] = field(default_factory=list)
    complete: bool = True
    budget_hit: bool = False
    searched_in: OrderRun | None = None

    def used(self) -> frozenset[str]:
        return frozenset(test for group in self.sets for test in group)


def _worker(run: OrderRun, test: str) -> str | None:
    return next((e.worker for e in run.executions if e.test == test), None)


class Examiner:
    """Examines the failing tests of ``runs``; collects findings and notes."""

    def __init__(
        self,
        runner: Runner,
        runs: list[OrderRun],
        *,
        max_sets: int,
        deadline: float,
        say: Callable[[str], None],
    ) -> None:
        self.runner = runner
        self.runs = runs
        self.max_sets = max(1, max_sets)
        self.deadline = deadline
        self.say = say
        self.findings: list[Finding] = []
        self.notes: list[Note] = []
        self.known: list[list[str]] = []  # polluter sets found so far, tried first
        self._cache: dict[tuple[str, ...], list[Execution]] = {}
        self._replayed: dict[str, list[OrderRun]] = {}  # runs replayed for each test
        self.victims: dict[str, _Victim] = {}

    # -- runs ---------------------------------------------------------------------

    def _run(self, order: list[str], *, fresh: bool = False) -> list[Execution]:
        """An explicit run, one process, nothing else running (cached unless ``fresh``)."""
        key = tuple(order)
        if fresh or key not in self._cache:
            self.say(
                f"explicit run of {len(order)} test executions ({self.runner.runs + 1} pytest "
                "runs so far)"
            )
            self._cache[key] = self.runner.explicit(order)
        return self._cache[key]

    def _flips(self, order: list[str], *, fresh: bool = False) -> dict[str, list[bool]]:
        flips: dict[str, list[bool]] = {}
        for execution in self._run(order, fresh=fresh):
            flips.setdefault(execution.test, []).append(execution.failed)
        return flips

    def _fails_after(self, tests: list[str], victim: str) -> bool:
        """The plain run ``tests... victim``: the reproduction a user is given."""
        return bool(self._flips([*tests, victim]).get(victim, [False])[-1])

    def over_budget(self) -> bool:
        return time.monotonic() > self.deadline

    # -- the whole examination ------------------------------------------------------

    def examine(self) -> None:
        outcomes: dict[str, set[str]] = {}
        for run in self.runs:
            for execution in run.executions:
                if execution.outcome != "skipped":
                    outcomes.setdefault(execution.test, set()).add(execution.outcome)
        failing = sorted(test for test, seen in outcomes.items() if "failed" in seen)
        for test in failing:
            self.victims[test] = _Victim(
                test,
                [run for run in self.runs if run.outcome(test) == "failed"],
                [run for run in self.runs if run.outcome(test) == "passed"],
                max(e.duration for run in self.runs for e in run.executions if e.test == test),
            )
        if failing:
            self.say(f"{len(failing)} test(s) failed in some order: examining each")
        pending = set(failing)
        while pending:
            run, worker, group = self._next_group(pending)
            pending -= set(group)
            for test in group:
                self._replayed.setdefault(test, []).append(run)
            if self.over_budget():
                for test in group:
                    self._unsearched(self.victims[test], run)
                continue
            pending |= set(self._examine_group(run, worker, group))

    def _untried(self, test: str) -> list[OrderRun]:
        """The runs ``test`` failed in whose replay has not been tried for it."""
        tried = self._replayed.get(test, [])
        return [run for run in self.victims[test].failing if not any(run is t for t in tried)]

    def _next_group(self, pending: set[str]) -> tuple[OrderRun, str | None, list[str]]:
        """The run (and xdist worker) where most pending tests failed and were not
        replayed yet; ties: the one with the fewest tests before them. Its failing
        tests, in run order."""
        best: tuple[tuple[int, int], OrderRun, str | None, list[str]] | None = None
        for run in self.runs:
            by_worker: dict[str | None, list[str]] = {}
            for execution in run.executions:
                if (
                    execution.failed
                    and execution.test in pending
                    and any(run is r for r in self._untried(execution.test))
                ):
                    members = by_worker.setdefault(execution.worker, [])
                    if execution.test not in members:
                        members.append(execution.test)
            for worker, members in by_worker.items():
                size = len(run.prefix(members[-1]))
                key = (-len(members), size)
                if best is None or key < best[0]:
                    best = (key, run, worker, members)
        assert best is not None
        return best[1], best[2], best[3]

    def _prefix(self, run: OrderRun, victims: list[str]) -> list[str]:
        """What ran before the last of ``victims`` in its process, victims left out."""
        excluded = set(victims)
        return [test for test in run.prefix(victims[-1]) if test not in excluded]

    def _examine_group(self, run: OrderRun, worker: str | None, group: list[str]) -> list[str]:
        """Replay ``run`` up to the last of ``group``; examine the tests that fail
        again. Returns the tests to try in another run they failed in."""
        # The replay: exactly what ran in that process, up to the last victim.
        order = [*run.prefix(group[-1]), group[-1]]
        self.say(
            f"{len(group)} test(s) failed in the {run.label} run: replaying it one process at a "
            "time"
        )
        flips = self._flips(order)
        again = [test for test in group if any(flips.get(test, []))]
        not_again = [test for test in group if test not in again]
        retry = [test for test in not_again if self._untried(test)]
        exhausted = [test for test in not_again if test not in retry]
        if exhausted:
            self._replays(run, order, exhausted)
        order_dependent = []
        for test in again:
            victim = self.victims[test]
            if not self._fails_after([], test):
                order_dependent.append(test)
            elif victim.passing:
                self._brittle(victim)
            else:
                self.notes.append(
                    Note("fails alone", test, "fails alone", self.runner.replay([test]))
                )
        if order_dependent:
            self._polluters(order_dependent, run)
        return retry

    def _replays(self, run: OrderRun, order: list[str], tests: list[str]) -> None:
        """Tests that did not fail again in their replayed run: replay it up to
        :data:`_REPLAYS` more times; failing again makes them non-deterministic."""
        left = list(tests)
        for _ in range(_REPLAYS):
            if not left or self.over_budget():
                break
            flips = self._flips(order, fresh=True)
            for test in [test for test in left if any(flips.get(test, []))]:
                left.remove(test)
                self._non_deterministic(self.victims[test], "failed and passed in the same order")
        for test in left:
            self.notes.append(
                Note(
                    "unconfirmed",
                    test,
                    f"failed in the {run.label} run, never when it was replayed one process "
                    f"at a time ({_REPLAYS + 1} times)",
                    self.runner.replay_order(run.order, run.seed),
                )
            )

    # -- order-dependent: polluters ---------------------------------------------------

    def _polluters(self, tests: list[str], run: OrderRun) -> None:
        victims = [self.victims[test] for test in tests]
        self.say(f"{len(victims)} test(s) pass alone: searching their polluters together")
        self._sets_in(victims, self._prefix(run, tests), failing=True)
        for victim in victims:
            victim.searched_in = run
            if not victim.sets and not victim.budget_hit:
                # Not after the others' prefix with the victims moved to its end (another
                # victim may be the polluter): its exact prefix in that run.
                victim.complete = True
                self._sets_in([victim], run.prefix(victim.test))
        # Every other run a victim failed in, with the sets found left out.
        for other in self.runs:
            if other is run:
                continue
            members = [
                v for v in victims if any(r is other for r in v.failing) and not v.budget_hit
            ]
            if not members:
                continue
            by_process: dict[str | None, list[str]] = {}
            for execution in other.executions:
                if execution.test in {v.test for v in members}:
                    by_process.setdefault(execution.worker, []).append(execution.test)
            for group in by_process.values():
                group = list(dict.fromkeys(group))
                self._sets_in([self.victims[test] for test in group], self._prefix(other, group))
        for victim in victims:
            self._report_order_dependent(victim, run.prefix(victim.test))

    def _sets_in(
        self, victims: list[_Victim], candidates: list[str], *, failing: bool = False
    ) -> None:
        """Find the victims' polluter sets among ``candidates`` until none is left that
        makes them fail, or :attr:`max_sets`. ``failing``: the victims are known to
        fail after the candidates (the replay showed it), so the first round need not
        run them again to see."""
        active = list(victims)
        first = failing
        while active:
            if self.over_budget():
                for victim in active:
                    victim.complete = False
                    victim.budget_hit = True
                return
            buckets: dict[frozenset[str], list[_Victim]] = {}
            for victim in active:
                buckets.setdefault(victim.used(), []).append(victim)
            active = []
            for used, members in buckets.items():
                remaining = [t for t in candidates if t not in used]
                active += self._one_round(members, remaining, known=first)
            first = False

    def _one_round(
        self, members: list[_Victim], candidates: list[str], *, known: bool = False
    ) -> list[_Victim]:
        """One more set for each of ``members`` (which share the sets found so far);
        returns the victims that got one and must be checked again. ``known``: they
        are known to fail after ``candidates``."""
        if not candidates:
            return []
        if known:
            failing = list(members)
        else:
            flips = self._flips([*candidates, *(v.test for v in members)])
            failing = [v for v in members if any(flips.get(v.test, []))]
        searching = []
        for victim in failing:
            if len(victim.sets) >= self.max_sets:
                victim.complete = False  # another set exists; the limit stops the search
            else:
                searching.append(victim)
        again: list[_Victim] = []
        rest: list[_Victim] = []
        present = set(candidates)
        for victim in searching:
            known_set = next(
                (
                    group
                    for group in self.known
                    if group not in victim.sets
                    and set(group) <= present
                    and self._fails_after(group, victim.test)
                ),
                None,
            )
            if known_set is not None:
                victim.sets.append(known_set)
                again.append(victim)
            else:
                rest.append(victim)
        if not rest:
            return again
        seconds = max(v.seconds for v in rest)
        lasts = shared_last(
            lambda order: self._flips(order), candidates, [v.test for v in rest], seconds
        )
        for victim in rest:
            last = lasts[victim.test]
            found: list[str] | None = None
            if last is not None and self._fails_after([candidates[last]], victim.test):
                found = [candidates[last]]
            else:
                found = self._search(victim, candidates).minimal_set(candidates, last)
            if found is None:
                victim.complete = False  # it fails after them, but no set was isolated
                continue
            victim.sets.append(found)
            if found not in self.known:
                self.known.append(found)
            again.append(victim)
        return again

    def _search(self, victim: _Victim, prefix: list[str], *, passes: bool = False) -> Search:
        def oracle(order: list[str]) -> list[bool]:
            flips = self._flips(order).get(victim.test, [])
            return [not flip for flip in flips] if passes else flips

        return Search(
            victim.test,
            oracle,
            {test: index for index, test in enumerate(prefix)},
            victim.seconds,
        )

    def _report_order_dependent(self, victim: _Victim, prefix: list[str]) -> None:
        run = victim.searched_in or victim.failing[0]
        if not victim.sets:
            if victim.budget_hit:
                self._unsearched(victim, run)
                return
            self.findings.append(
                Finding(
                    "order-dependent",
                    victim.test,
                    run.seed,
                    self.runner.replay([*prefix, victim.test]),
                    polluters=[],
                    details={
                        "polluter_sets": [],
                        "search_complete": False,
                        "order": run.order,
                        "cause": "fails after the tests before it, passes alone; "
                        "no smaller set of them makes it fail",
                    },
                )
            )
            return
        position = {e.test: i for i, e in enumerate(self.runs[0].executions)}
        sets = sorted(victim.sets, key=lambda group: [position.get(t, -1) for t in group])
        self.say(
            f"{victim.test}: order-dependent, polluted by {' ; '.join(' + '.join(s) for s in sets)}"
        )
        details = {
            "polluter_sets": sets,
            "search_complete": victim.complete and not victim.budget_hit,
            "order": run.order,
        }
        if victim.budget_hit:
            details["budget_exhausted"] = True
        self.findings.append(
            Finding(
                "order-dependent",
                victim.test,
                run.seed,
                self.runner.replay([*sets[0], victim.test]),
                polluters=list(dict.fromkeys(test for group in sets for test in group)),
                details=details,
            )
        )

    # -- brittle, non-deterministic, unsearched ------------------------------------------

    def _brittle(self, victim: _Victim) -> None:
        """Fails alone, passed in some order: find the tests after which it passes."""
        after_fail = {test for run in victim.failing for test in run.prefix(victim.test)}
        run = min(
            victim.passing,
            key=lambda r: len([t for t in r.prefix(victim.test) if t not in after_fail]),
        )
        prefix = run.prefix(victim.test)
        candidates = [test for test in prefix if test not in after_fail]
        self.say(
            f"{victim.test}: fails alone; state-setters among {len(candidates)} test(s) of the "
            f"{run.label} run"
        )
        search = self._search(victim, prefix, passes=True)
        found = search.minimal_set(candidates) if candidates else None
        if found is None and candidates != prefix and search.flips(prefix):
            candidates = prefix
            found = search.minimal_set(prefix)
        if found is None:
            # It passed once, in a run that does not replay: did it pass by chance?
            for _ in range(_REPLAYS):
                if not self._flips([victim.test], fresh=True).get(victim.test, [True])[0]:
                    self._non_deterministic(victim, "failed and passed alone")
                    return
            self.notes.append(
                Note(
                    "fails alone",
                    victim.test,
                    f"fails alone; passed once in the {run.label} run, never when replayed",
                    self.runner.replay([victim.test]),
                )
            )
            return
        sets, complete = search.all_sets(candidates, found, self.max_sets)
        failed_in = victim.failing[0]
        self.say(f"{victim.test}: brittle, passes after {' ; '.join(' + '.join(s) for s in sets)}")
        self.findings.append(
            Finding(
                "brittle",
                victim.test,
                failed_in.seed,
                self.runner.replay([victim.test]),
                state_setters=list(dict.fromkeys(test for group in sets for test in group)),
                details={
                    "state_setter_sets": sets,
                    "search_complete": complete,
                    "passes_with": self.runner.replay([*sets[0], victim.test]),
                },
            )
        )

    def _non_deterministic(self, victim: _Victim, evidence: str) -> None:
        marked = any(
            e.marked_flaky for run in self.runs for e in run.executions if e.test == victim.test
        )
        details: dict[str, Any] = {
            "marked_flaky": marked,
            "failed_in": [run.seed for run in victim.failing],
            "confirmed_by": evidence,
        }
        if not marked:
            details["suggestion"] = f"mark it {FLAKY_SUGGESTION} while its cause is fixed"
        run = victim.failing[0]
        self.findings.append(
            Finding(
                "non-deterministic",
                victim.test,
                run.seed,
                self.runner.replay_order(run.order, run.seed),
                details=details,
            )
        )

    def _unsearched(self, victim: _Victim, run: OrderRun) -> None:
        self.notes.append(
            Note(
                "unsearched",
                victim.test,
                f"failed in the {run.label} run; not searched before the budget ran out",
                self.runner.replay_order(run.order, run.seed),
            )
        )
