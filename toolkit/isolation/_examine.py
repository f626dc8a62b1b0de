"""Every test that failed in some whole-suite order, examined one process at a time.

Whole-suite runs may have gone on at once, or under xdist: what they show is a signal,
not a finding. Each signal is checked in fresh, sequential pytest runs:

1. The run where they failed with the fewest tests before them per victim (ties: the
   one where most of them failed), replayed exactly (what ran in that process, up to the last
   of them), one process at a time. Victims that fail again are looked
   at further; the others are tried in the next run they failed in, and once every
   such run was replayed in vain, get two more replays: failing in one makes them
   non-deterministic (failed and passed in the same order), never failing again
   leaves an *unconfirmed* note, never a finding.
2. Each victim alone. Failing alone: brittle if it passed in some order (its
   state-setters are searched), else it "fails alone", a plain failure for the unit
   and integration layers to show.
3. Victims that pass alone are order-dependent. Their polluters are searched for all
   of them together, once one run (what ran before them, then the victims) shows that
   they fail after it: polluter sets already known are tried first, then one shared
   probe narrows every victim of the run at once, then each set is confirmed by the
   plain run ``polluters... victim`` that becomes the finding's command.
4. A victim whose failure the shared search cannot pin down (one victim is another's
   cause: a test that fails half-way leaves state that fails the next) is searched on
   its own, from its exact prefix in the run where it failed with the fewest tests
   before it, other victims included: sets known for other victims are tried first,
   and so are those sets followed by the victim they were found for.
5. Once a victim's sets are found in one run, every other run it failed in is checked
   with those sets left out: ``search_complete`` is true only when no run it failed in
   can still make it fail.
6. Before it is reported, each finding's command is run twice more in fresh
   processes: a test whose outcome flips from one execution to the next is reported
   as non-deterministic, never as order-dependent or brittle.

Each group of victims gets an equal share of the budget left, so one hard group cannot
starve the others; a group that used up its share is searched again at the end, with
what is left. Past the deadline, victims not yet searched are listed with the command that
shows them failing.
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
_CONFIRMATIONS = 2  # fresh runs of a finding's command before it is reported


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
    alone: bool = False  # to be searched on its own, other victims as candidates
    cascade: bool = False  # another victim may be its cause: try sets with it

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
        # Polluter sets found so far, each with the first victim it was found for:
        # tried first for the others.
        self._found_for: list[tuple[list[str], str]] = []
        self._share = float("inf")  # the current group's share of the budget ends here
        self._deferred: list[str] = []  # victims whose group used up its share
        self._failed_again: list[tuple[OrderRun, str]] = []  # failed when their run replayed
        self._searched: list[tuple[_Victim, list[str]]] = []  # to confirm and report
        self._cache: dict[tuple[str, ...], list[Execution]] = {}
        self._replayed: dict[str, list[OrderRun]] = {}  # runs replayed for each test
        self.victims: dict[str, _Victim] = {}

    # -- runs ---------------------------------------------------------------------

    def _run(self, order: list[str], *, fresh: bool = False) -> list[Execution]:
        """An explicit run, one process, nothing else running (cached unless ``fresh``)."""
        key = tuple(order)
        if fresh or key not in self._cache:
            self.say(f"search run {self.runner.runs + 1}: {len(order)} tests in a set order")
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
        return time.monotonic() > min(self.deadline, self._share)

    def _give_share(self, victims: int, waiting: int) -> None:
        """The next group's share of what is left: ``victims`` of ``waiting``."""
        now = time.monotonic()
        left = max(0.0, self.deadline - now)
        self._share = now + left * victims / max(1, waiting) if left != float("inf") else left

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
            if time.monotonic() > self.deadline:
                for test in group:
                    self._unsearched(self.victims[test], run)
                continue
            # The deferred victims, searched again at the end, count as one more group.
            self._give_share(1, 1 + self._groups_left(pending) + bool(self._deferred))
            pending |= set(self._examine_group(run, worker, group))
        self._share = float("inf")
        self._search_deferred()
        self._report_searched()

    def _groups_left(self, pending: set[str]) -> int:
        """How many groups the pending victims will be searched in, at most."""
        left, groups = set(pending), 0
        while left:
            _, _, group = self._next_group(left)
            left -= set(group)
            groups += 1
        return groups

    def _untried(self, test: str) -> list[OrderRun]:
        """The runs ``test`` failed in whose replay has not been tried for it."""
        tried = self._replayed.get(test, [])
        return [run for run in self.victims[test].failing if not any(run is t for t in tried)]

    def _next_group(self, pending: set[str]) -> tuple[OrderRun, str | None, list[str]]:
        """The run (and xdist worker) where pending tests, not replayed there yet,
        failed with the fewest tests before the last of them per test (the cheapest
        to search first; ties: the most of them). Its failing tests, in run order."""
        best: tuple[tuple[float, int], OrderRun, str | None, list[str]] | None = None
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
                key = (size / len(members), -len(members))
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
        self._failed_again += [(run, test) for test in again]
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
        candidates = self._prefix(run, tests)
        for victim in victims:
            victim.searched_in = run
        if len(victims) == 1:
            shared = victims  # the replay was exactly this run
        else:
            # The premise of a shared search, in one run: they fail after what ran
            # before them, victims moved to the end. Those that do not are searched
            # on their own (another victim, or the place they ran in, was the cause).
            self.say(f"{len(victims)} test(s) pass alone: checking they fail after the others")
            flips = self._flips([*candidates, *tests])
            shared = [v for v in victims if any(flips.get(v.test, []))]
            for victim in victims:
                victim.alone = victim.cascade = victim not in shared
        if shared:
            self.say(f"{len(shared)} test(s) pass alone: searching their polluters together")
            self._sets_in(shared, candidates, failing=True, together=len(victims) > 1)
        for victim in sorted(victims, key=self._cost):
            if victim.alone and not victim.budget_hit:
                self._search_alone(victim)
        self._other_runs(victims, run)
        self._finish(victims, run)

    def _cost(self, victim: _Victim) -> int:
        return len(self._cheapest(victim).prefix(victim.test))

    def _cheapest(self, victim: _Victim) -> OrderRun:
        """The run where ``victim`` failed with the fewest tests before it."""
        return min(victim.failing, key=lambda run: len(run.prefix(victim.test)))

    def _search_alone(self, victim: _Victim) -> None:
        """``victim`` on its own: its exact prefix in its cheapest failing run, other
        victims included (one of them may be its polluter); if that run does not make
        it fail one process at a time, in the run where its replay failed."""
        replayed = [r for r, test in self._failed_again if test == victim.test]
        cheapest = self._cheapest(victim)
        runs = [cheapest, *(r for r in replayed[:1] if r is not cheapest)]
        victim.alone = False
        for run in runs:
            victim.searched_in = run
            victim.complete = True
            self.say(f"{victim.test}: searching its polluters on its own, in the {run.label} run")
            failing = any(r is run for r in replayed) and not victim.sets
            self._sets_in([victim], run.prefix(victim.test), failing=failing)
            if victim.sets or victim.budget_hit:
                break

    def _other_runs(self, victims: list[_Victim], run: OrderRun) -> None:
        """Every other run a victim failed in, with the sets found left out."""
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

    def _finish(self, victims: list[_Victim], run: OrderRun, *, defer: bool = True) -> None:
        """Report the victims, or, when only their group's share ran out (and
        ``defer``), search them again at the end."""
        for victim in victims:
            if defer and victim.budget_hit and time.monotonic() <= self.deadline:
                self._deferred.append(victim.test)
            else:
                self._searched.append((victim, (victim.searched_in or run).prefix(victim.test)))

    def _report_searched(self) -> None:
        """Every searched victim, once the runs that confirm them (shared by victims
        of the same set, whatever group they were searched in) are done."""
        flaky = self._flip_by_themselves([victim for victim, _ in self._searched if victim.sets])
        for victim, prefix in self._searched:
            if victim.test in flaky:
                self._non_deterministic(victim, "failed and passed after the same tests")
            else:
                self._report_order_dependent(victim, prefix)

    def _search_deferred(self) -> None:
        """Victims whose group used up its share, cheapest first, each with a fair
        share of what is left."""
        deferred = sorted((self.victims[test] for test in self._deferred), key=self._cost)
        self._deferred = []
        for index, victim in enumerate(deferred):
            if time.monotonic() > self.deadline:
                self._finish([victim], self._cheapest(victim), defer=False)
                continue
            self._give_share(1, len(deferred) - index)
            victim.budget_hit = False
            self._search_alone(victim)
            self._other_runs([victim], victim.searched_in or self._cheapest(victim))
            self._share = float("inf")
            self._finish([victim], victim.searched_in or self._cheapest(victim), defer=False)

    def _steady(self, tests: list[str], victim: str, *, fail: bool) -> bool:
        """``tests... victim`` gives the same outcome (failed: ``fail``) in each of
        :data:`_CONFIRMATIONS` fresh runs, one after the other."""
        for _ in range(_CONFIRMATIONS):
            flips = self._flips([*tests, victim], fresh=True).get(victim, [not fail])
            if flips[-1] != fail:
                return False
        return True

    def _flip_by_themselves(self, victims: list[_Victim]) -> set[str]:
        """Each victim's first set and the victim, in :data:`_CONFIRMATIONS` fresh
        runs one after the other (victims with the same set share them): the ones
        that do not fail every time flip by themselves. A test whose outcome changes
        on every execution fails one of two consecutive runs."""
        by_set: dict[tuple[str, ...], list[str]] = {}
        for victim in victims:
            by_set.setdefault(tuple(victim.sets[0]), []).append(victim.test)
        flaky: set[str] = set()
        for tests, members in by_set.items():
            for _ in range(_CONFIRMATIONS):
                flips = self._flips([*tests, *members], fresh=True)
                if len(members) == 1:
                    flaky |= {test for test in members if not flips.get(test, [False])[-1]}
                    continue
                for test in members:
                    if not flips.get(test, [False])[-1] and test not in flaky:
                        # Another victim of the batch may have cleaned up: on its own.
                        alone = self._flips([*tests, test], fresh=True)
                        if not alone.get(test, [False])[-1]:
                            flaky.add(test)
        return flaky

    def _sets_in(
        self,
        victims: list[_Victim],
        candidates: list[str],
        *,
        failing: bool = False,
        together: bool = False,
    ) -> None:
        """Find the victims' polluter sets among ``candidates`` until none is left that
        makes them fail, or :attr:`max_sets`. ``failing``: the victims are known to
        fail after the candidates (the replay showed it), so the first round need not
        run them again to see. ``together``: they were narrowed by shared probes, so a
        victim whose set is no single test is left to :meth:`_search_alone` (the
        probes ran the other victims too) rather than searched here."""
        active = [victim for victim in victims if not victim.alone]
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
                active += self._one_round(members, remaining, known=first, together=together)
            first = False
            active = [victim for victim in active if not victim.alone]

    def _one_round(
        self,
        members: list[_Victim],
        candidates: list[str],
        *,
        known: bool = False,
        together: bool = False,
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
        hopeless = self._known_batches(searching, present)
        for victim in searching:
            known_set = self._known_set(victim, present, hopeless.get(victim.test, []))
            if known_set is not None:
                self._found(victim, known_set)
                again.append(victim)
            else:
                rest.append(victim)
        if not rest:
            return again
        seconds = max(v.seconds for v in rest)
        lasts = shared_last(
            lambda order: self._flips(order), candidates, [v.test for v in rest], seconds
        )
        if together:
            self._drop_cascades(rest, candidates, lasts)
        for victim in rest:
            last = lasts[victim.test]
            found: list[str] | None = None
            if victim.alone:
                continue
            if last is not None and self._fails_after([candidates[last]], victim.test):
                found = [candidates[last]]
            elif together and not victim.sets:
                # The shared probes ran the others too: on its own.
                victim.alone = victim.cascade = True
                continue
            else:
                found = self._search(victim, candidates).minimal_set(candidates, last)
            if found is None:
                victim.complete = False  # it fails after them, but no set was isolated
                continue
            self._found(victim, found)
            again.append(victim)
        return again

    def _drop_cascades(
        self, victims: list[_Victim], candidates: list[str], lasts: dict[str, int | None]
    ) -> None:
        """Victims the shared probes narrowed to one test: one run of that test and all
        of them. Those that pass there failed in the probes because another victim ran
        before them: each is searched on its own, at no further cost here."""
        by_last: dict[int, list[_Victim]] = {}
        for victim in victims:
            last = lasts[victim.test]
            if last is not None and not victim.sets:
                by_last.setdefault(last, []).append(victim)
        for last, members in by_last.items():
            if len(members) < 3:
                continue  # confirming each costs no more
            # Reversed: a victim that fails the ones after it in the probes now runs last.
            flips = self._flips([candidates[last], *(v.test for v in reversed(members))])
            for victim in members:
                if not any(flips.get(victim.test, [])):
                    victim.alone = victim.cascade = True

    def _found(self, victim: _Victim, found: list[str]) -> None:
        victim.sets.append(found)
        if all(found != group for group, _ in self._found_for):
            self._found_for.append((found, victim.test))

    def _known_tries(
        self, victim: str, present: set[str], *, cascade: bool = False
    ) -> list[list[str]]:
        """Sets found for other victims, the latest first; with ``cascade``, then each
        followed by the victim it was found for (that victim, failing half-way, may
        be what fails this one)."""
        latest = list(reversed(self._found_for))
        tried = [group for group, _ in latest]
        if cascade:
            tried += [[*group, other] for group, other in latest if other != victim]
        unique = list(dict.fromkeys(tuple(group) for group in tried))
        return [list(group) for group in unique if set(group) <= present]

    def _known_batches(
        self, victims: list[_Victim], present: set[str]
    ) -> dict[str, list[list[str]]]:
        """For several victims, one run per known set (the set, then the victims in
        reverse): the victims that pass there need not try it one by one."""
        hopeless: dict[str, list[list[str]]] = {}
        if len(victims) < 2:
            return hopeless
        for group in self._known_tries("", present):
            members = [v.test for v in victims if group not in v.sets]
            if len(members) < 2:
                continue
            flips = self._flips([*group, *reversed(members)])
            for test in members:
                if not any(flips.get(test, [])):
                    hopeless.setdefault(test, []).append(group)
        return hopeless

    def _known_set(
        self, victim: _Victim, present: set[str], hopeless: list[list[str]] | None = None
    ) -> list[str] | None:
        """A set found for another victim that fails this one too (see
        :meth:`_known_tries`); one followed by the victim it was found for is made
        minimal by leaving out one test at a time (the others were minimal already)."""
        found = [group for group, _ in self._found_for]
        for group in self._known_tries(victim.test, present, cascade=victim.cascade):
            if group in victim.sets or group in (hopeless or []):
                continue
            if any(set(old) <= set(group) for old in victim.sets):
                continue
            if self._fails_after(group, victim.test):
                return group if group in found else self._smaller(group, victim.test)
        return None

    def _smaller(self, group: list[str], victim: str) -> list[str]:
        """``group`` without each test it does not need to fail ``victim``."""
        for test in group if len(group) > 1 else ():
            rest = [t for t in group if t != test]
            if self._fails_after(rest, victim):
                return self._smaller(rest, victim)
        return group

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
        # One command per set: each set alone makes the victim fail.
        commands = [self.runner.replay([*group, victim.test]) for group in sets]
        details = {
            "polluter_sets": sets,
            "reproduce_sets": commands,
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
                commands[0],
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
        if not self._steady([], victim.test, fail=True) or not self._steady(
            sets[0], victim.test, fail=False
        ):
            self._non_deterministic(victim, "failed and passed after the same tests")
            return
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
