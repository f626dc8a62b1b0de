"""What the whole-suite orders exposed, in words a user can act on.

A polluter is exposed for sure when it runs directly before its victim: nothing can
clean up between them. pytest keeps units together in every order the engine runs
(modules; the classes and functions of a module; the tests of a class), so the
statement is made per group of siblings: of every ordered pair of siblings, how many
ran as direct neighbours in some run (one process: under xdist, one worker). File
order and its reverse make units one apart neighbours both ways, the interleaved order
and its reverse units two apart; random orders add the rest by chance, and each test
alone shows what fails with nothing before it. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from toolkit.isolation._report import OrderRun

__all__ = ["LEVELS", "Exposure", "sibling_groups", "unit_path"]

#: The levels siblings are grouped at, outermost first.
LEVELS = ("modules", "classes and functions of a module", "tests of a class")


def unit_path(test: str) -> tuple[str, ...]:
    """The units ``test`` belongs to, outermost first: its module, then its class (or
    itself, a function), then itself within its class. Parameters stay with their test."""
    parts = test.split("::")
    if len(parts) <= 2:
        return (parts[0], test)
    return (parts[0], "::".join(parts[:2]), test)


def _parent_and_unit(test: str, level: int) -> tuple[str, str] | None:
    path = unit_path(test)
    if level >= len(path):
        return None
    return ("" if level == 0 else path[level - 1], path[level])


def sibling_groups(tests: Iterable[str], level: int | None = None) -> list[list[str]]:
    """Groups of sibling units (at ``level``, or at every level), each in file order."""
    groups: dict[tuple[int, str], dict[str, None]] = {}
    for test in tests:
        for at in range(len(LEVELS)) if level is None else (level,):
            found = _parent_and_unit(test, at)
            if found is not None:
                groups.setdefault((at, found[0]), {})[found[1]] = None
    return [list(units) for units in groups.values()]


def _neighbours(sequence: Sequence[str], level: int) -> set[tuple[str, str]]:
    """Ordered pairs of sibling units that ran one directly after the other."""
    pairs: set[tuple[str, str]] = set()
    previous: tuple[str, str] | None = None
    for test in sequence:
        current = _parent_and_unit(test, level)
        if current is None:
            previous = None
            continue
        if previous is not None and previous[0] == current[0] and previous[1] != current[1]:
            pairs.add((previous[1], current[1]))
        if previous is None or previous[1] != current[1]:
            previous = current
    return pairs


def _processes(run: OrderRun) -> list[list[str]]:
    """The sequences of tests that ran in one process each (xdist: per worker)."""
    by_worker: dict[str, list[str]] = {}
    for execution in run.executions:
        by_worker.setdefault(execution.worker, []).append(execution.test)
    return list(by_worker.values())


@dataclass(frozen=True)
class Exposure:
    """Per level, how many ordered sibling pairs ran as direct neighbours (``covered``)
    of how many there are (``pairs``); the orders run, and how many random orders the
    suite's size asked for (``wanted``)."""

    orders: tuple[str, ...]
    random: int
    wanted: int
    covered: tuple[int, ...]
    pairs: tuple[int, ...]
    alone: bool

    @classmethod
    def of(
        cls, runs: Sequence[OrderRun], tests: Sequence[str], random: int, wanted: int
    ) -> Exposure:
        covered, pairs = [], []
        for level in range(len(LEVELS)):
            groups = sibling_groups(tests, level)
            pairs.append(sum(len(g) * (len(g) - 1) for g in groups))
            seen: set[tuple[str, str]] = set()
            for run in runs:
                if run.order == "alone":
                    continue
                for sequence in _processes(run):
                    seen |= _neighbours(sequence, level)
            covered.append(len(seen))
        return cls(
            tuple(dict.fromkeys(run.order for run in runs if run.order != "random")),
            random,
            wanted,
            tuple(covered),
            tuple(pairs),
            any(run.order == "alone" for run in runs),
        )

    @property
    def complete(self) -> bool:
        """Every ordered pair of siblings, at every level, ran as direct neighbours."""
        return self.covered == self.pairs

    def line(self) -> str:
        """One line: the orders, what they covered, what a user can raise."""
        names = {
            "file": "file",
            "reverse": "reverse",
            "interleave": "interleaved",
            "reverse-interleave": "reverse interleaved",
        }
        orders = [names[order] for order in self.orders if order in names]
        if self.alone:
            orders.append("each test alone")
        orders.append(f"{self.random} random")
        shares = [
            f"{covered}/{pairs} pairs of {level}"
            for level, covered, pairs in zip(LEVELS, self.covered, self.pairs, strict=True)
            if pairs
        ]
        text = f"orders: {', '.join(orders)}; ran as direct neighbours: " + (
            ", ".join(shares) or "no pairs"
        )
        if self.complete:
            return text + " (all)"
        more = max(self.wanted, self.random * 2)
        return (
            text + f"; a polluter hidden behind a cleaner in every other order can be missed: "
            f"isolation_orders = {more} (or a longer isolation_budget) covers more"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "orders": [*self.orders, *(["random"] if self.random else [])],
            "random_orders": self.random,
            "random_orders_for_size": self.wanted,
            "neighbours": {
                level: {"covered": covered, "pairs": pairs}
                for level, covered, pairs in zip(LEVELS, self.covered, self.pairs, strict=True)
            },
        }
