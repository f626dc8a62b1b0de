"""Find the smallest sets of tests that change a victim's outcome, in few pytest runs.

The search knows nothing about pytest: it asks an oracle to run an explicit order and
reports, for each execution of the victim in it, whether the victim "flipped" (failed,
for a test polluted by others; passed, for a brittle test that needs a state-setter).

Two kinds of runs:

- a *probe* runs the candidates in order with the victim after every chunk of them
  (``c1 c2 V c3 c4 V ...``). The first flipped execution names the chunk holding the
  test that completes the flip, so one run narrows n candidates to n/k. Probes make
  the common case (one polluter, Wei et al. 2021) cost about two runs for hundreds
  of candidates, where bisection costs log2(n).
- a *plain* run is ``S... V``: exactly the reproduction a user is given. Every set the
  search returns has had one, so every reported command is known to show the flip.

When the test found alone is not enough (two polluters harmful only together), the
rest is found with Zeller's isolating delta debugging, holding the found test as
context. After one set, the candidates without it are tried again, so independent
polluters are each reported.

Victims that failed in the same run usually share a cause. :func:`shared_last` probes
for all of them at once (``c1 V1 V2 c2 V1 V2 ...``): one run narrows every victim, and
victims that flip after the same chunk keep narrowing together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["MultiOracle", "Oracle", "Search", "chunk_count", "shared_last"]

#: Runs ``order`` (node ids, the victim possibly several times); returns, for each
#: execution of the victim in that order, whether it flipped.
Oracle = Callable[[list[str]], list[bool]]

#: Runs ``order``; returns, for each victim in it, whether each of its executions flipped.
MultiOracle = Callable[[list[str]], dict[str, list[bool]]]


def chunk_count(candidates: int, victim_seconds: float, budget_seconds: float = 30.0) -> int:
    """How many probes one run carries: every candidate when there are few (one run
    then names the test), about sqrt(n) when there are many (two runs do), fewer when
    the victim is slow, since each probe executes it once more."""
    if candidates <= 1:
        return 1
    wanted = candidates if candidates <= _ALL_PROBED else math.ceil(math.sqrt(candidates))
    affordable = max(2, int(budget_seconds / max(victim_seconds, 1e-3)))
    return min(wanted, affordable)


_ALL_PROBED = 64


def _chunks(items: Sequence[str], count: int) -> list[list[str]]:
    size, extra = divmod(len(items), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        if end > start:
            chunks.append(list(items[start:end]))
        start = end
    return chunks


@dataclass
class Search:
    """The search for one victim. ``rank`` orders any subset as the tests first ran."""

    victim: str
    oracle: Oracle
    rank: dict[str, int]
    victim_seconds: float = 0.0
    plain: dict[tuple[str, ...], bool] = field(default_factory=dict)
    runs: int = 0

    def _ordered(self, tests: Iterable[str]) -> list[str]:
        return sorted(set(tests), key=self.rank.__getitem__)

    def flips(self, tests: Iterable[str]) -> bool:
        """A plain run ``tests... victim`` (cached): does the victim flip?"""
        order = tuple(self._ordered(tests))
        if order not in self.plain:
            self.runs += 1
            outcomes = self.oracle([*order, self.victim])
            self.plain[order] = bool(outcomes and outcomes[-1])
        return self.plain[order]

    def _probe(
        self, before: list[str], window: list[str], lead: bool
    ) -> tuple[bool | None, list[str] | None, int]:
        """Run ``[V] before... chunk1 V chunk2 V ...``: whether the leading V flipped,
        the first chunk after which V flipped (None: never) and its offset in ``window``."""
        chunks = _chunks(window, chunk_count(len(window), self.victim_seconds))
        order = [self.victim] if lead else []
        order += before
        for chunk in chunks:
            order += [*chunk, self.victim]
        self.runs += 1
        outcomes = self.oracle(order)
        alone = outcomes[0] if lead and outcomes else None
        probes = outcomes[1:] if lead else outcomes
        if not lead and len(chunks) == 1 and probes:
            self.plain[tuple(before + window)] = probes[0]  # it was a plain run
        offset = 0
        for chunk, flipped in zip(chunks, probes, strict=False):
            if flipped:
                return alone, chunk, offset
            offset += len(chunk)
        return alone, None, 0

    def alone_and_last(self, candidates: list[str]) -> tuple[bool | None, int | None]:
        """First probe run, with the victim alone in front: (alone flipped, index of the
        test completing the flip or None)."""
        alone, chunk, offset = self._probe([], candidates, lead=True)
        if chunk is None:
            return alone, None
        return alone, self._narrow(candidates, offset, chunk)

    def last_needed(self, candidates: list[str]) -> int | None:
        """Index of the test after which the victim first flips, found by probes."""
        _, chunk, offset = self._probe([], candidates, lead=False)
        if chunk is None:
            return None
        return self._narrow(candidates, offset, chunk)

    def _narrow(self, candidates: list[str], offset: int, chunk: list[str]) -> int | None:
        while len(chunk) > 1:
            _, found, inner = self._probe(candidates[:offset], chunk, lead=False)
            if found is None:
                return None  # it flipped before and not now: not reproducible this way
            offset, chunk = offset + inner, found
        return offset

    def minimal_set(self, candidates: list[str], last: int | None = None) -> list[str] | None:
        """A minimal set of ``candidates`` after which the victim flips, checked by a
        plain run; None when they do not make it flip."""
        if last is None:
            last = self.last_needed(candidates)
        if last is None:
            if not self.flips(candidates):
                return None
            found = self._dd(list(candidates), [])
        else:
            test = candidates[last]
            if self.flips([test]):
                return [test]
            # Not alone: the others it needs ran before it (Zeller's dd, ``test`` as context).
            found = [*self._dd(candidates[:last], [test]), test]
            if len(found) > 1 and self.flips(found[:-1]):
                # The probes ran the victim between chunks; one that changes state itself
                # can flip later than the tests it needs, and then ``test`` is not one.
                found = self._dd(found[:-1], [])
            if not self.flips(found):
                if not self.flips(candidates):
                    return None
                found = self._dd(list(candidates), [])
        found = self._ordered(found)
        return found if self.flips(found) else None

    def _dd(self, tests: list[str], context: list[str]) -> list[str]:
        """Zeller's isolating delta debugging: a minimal subset of ``tests`` that flips
        the victim together with ``context`` (which alone does not)."""
        if len(tests) <= 1:
            return tests
        half = len(tests) // 2
        first, second = tests[:half], tests[half:]
        if self.flips([*first, *context]):
            return self._dd(first, context)
        if self.flips([*second, *context]):
            return self._dd(second, context)
        return self._dd(first, [*context, *second]) + self._dd(second, [*context, *first])

    def all_sets(
        self, candidates: list[str], first: list[str], limit: int
    ) -> tuple[list[list[str]], bool]:
        """``first`` and every further independent set among the remaining candidates
        (up to ``limit``); whether the search was complete."""
        found = [first]
        while True:
            used = {test for group in found for test in group}
            remaining = [test for test in candidates if test not in used]
            if not remaining or not self.flips(remaining):
                return found, True
            if len(found) >= limit:
                return found, False
            more = self.minimal_set(remaining)
            if more is None:
                return found, True
            found.append(more)


def shared_last(
    oracle: MultiOracle, candidates: list[str], victims: list[str], victim_seconds: float = 0.0
) -> dict[str, int | None]:
    """For each victim, the index of the candidate after which it first flips when the
    candidates run in order (None: it did not flip again this way).

    Every probe run serves all victims still narrowing in the same window: after each
    chunk, each of them runs once. Victims that flip after the same chunk narrow on
    together; the others go their own way, so k victims with one cause cost what one
    victim costs.
    """
    found: dict[str, int | None] = dict.fromkeys(victims)
    pending = [(0, list(candidates), list(victims))]
    while pending:
        offset, window, group = pending.pop()
        if len(window) <= 1:
            for victim in group:
                found[victim] = offset if window else None
            continue
        chunks = _chunks(window, chunk_count(len(window), victim_seconds * len(group)))
        order = list(candidates[:offset])
        for chunk in chunks:
            order += [*chunk, *group]
        flips = oracle(order)
        by_chunk: dict[int, list[str]] = {}
        for victim in group:
            first = next((i for i, flipped in enumerate(flips.get(victim, [])) if flipped), None)
            if first is not None and first < len(chunks):
                by_chunk.setdefault(first, []).append(victim)
        for index, members in by_chunk.items():
            start = offset + sum(len(chunk) for chunk in chunks[:index])
            pending.append((start, chunks[index], members))
    return found
