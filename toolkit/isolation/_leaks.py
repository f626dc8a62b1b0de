"""Database leaks from the file-order run, each confirmed by its own command.

The file-order run carries the leak plugin (:mod:`toolkit.testing.leaks`), which says
what each test left changed and what each fixture wider than a function left behind
its own teardown. Those are candidates. Each becomes a finding only once its command,
run by itself in a fresh process with ``--isolation-leaks=fail``, shows the same leak
again: the test alone, or, for a fixture, the first test that used it (then, if that
is not enough, every test that used it in the run). A candidate whose command does
not show it is listed as ``unconfirmed``, never as a finding; one left unchecked when
the budget ran out is listed as ``unsearched``. Standard library only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from toolkit.isolation._report import Finding, Note, OrderRun
from toolkit.isolation._reportlog import Execution, describe_leak
from toolkit.isolation._runner import LEAK_PLUGIN, Runner

__all__ = ["LEAK_ARGS", "confirmed_leaks"]

#: What turns the leak plugin on and a leak into an error, in a finding's command.
LEAK_ARGS = ("-p", LEAK_PLUGIN, "--isolation-leaks=fail")


@dataclass
class _Candidate:
    """A leak the file-order run showed: a test's, or a fixture's (``fixture`` set)."""

    test: str
    tables: dict[str, Any]
    fixture: str | None = None
    scope: str | None = None
    users: tuple[str, ...] = ()

    def shown_by(self, executions: list[Execution]) -> dict[str, Any] | None:
        """The tables a run shows this leak on again (one of its tables at least), as
        that run tells them; None when it does not show it."""
        if self.fixture is None:
            seen = [execution.leak for execution in executions if execution.test == self.test]
        else:
            seen = [
                leak.get("tables", {})
                for execution in executions
                for leak in execution.fixture_leaks
                if leak.get("fixture") == self.fixture
            ]
        return next((dict(tables) for tables in seen if set(tables) & set(self.tables)), None)

    def what(self) -> str:
        owner = f"fixture {self.fixture} ({self.scope} scope)" if self.fixture else "the test"
        return f"{owner} left {describe_leak(self.tables)}"


def _candidates(baseline: OrderRun) -> list[_Candidate]:
    found: list[_Candidate] = []
    fixtures: set[str] = set()
    for execution in baseline.executions:
        if execution.leak:
            found.append(_Candidate(execution.test, dict(execution.leak)))
        for leak in execution.fixture_leaks:
            name = str(leak.get("fixture"))
            if name in fixtures:
                continue  # one finding per fixture (a conftest fixture of many modules)
            fixtures.add(name)
            users = tuple(str(test) for test in leak.get("tests") or ()) or (execution.test,)
            found.append(
                _Candidate(
                    users[0], dict(leak.get("tables", {})), name, str(leak.get("scope")), users
                )
            )
    return found


def confirmed_leaks(
    runner: Runner,
    baseline: OrderRun,
    *,
    deadline: float,
    say: Callable[[str], None],
) -> tuple[list[Finding], list[Note]]:
    """The leaks ``baseline`` (the file-order run) showed, each confirmed by one run of
    its own command; the others as notes."""
    findings: list[Finding] = []
    notes: list[Note] = []
    candidates = _candidates(baseline)
    if candidates:
        say(f"{len(candidates)} database leak(s) in the file order run: confirming each alone")
    for candidate in candidates:
        tries = [[candidate.test]]
        if candidate.fixture and len(candidate.users) > 1:
            tries.append(list(candidate.users))
        if time.monotonic() > deadline:
            notes.append(
                Note(
                    "unsearched",
                    candidate.test,
                    f"{candidate.what()} in the file order run; not confirmed before the "
                    "budget ran out",
                    runner.replay(tries[0], *LEAK_ARGS),
                    leak=True,
                )
            )
            continue
        shown, tables = None, None
        for tests in tries:
            tables = candidate.shown_by(runner.explicit(tests, *LEAK_ARGS))
            if tables is not None:
                shown = tests
                break
        if shown is None or tables is None:
            notes.append(
                Note(
                    "unconfirmed",
                    candidate.test,
                    f"{candidate.what()} in the file order run, not when its command ran by itself",
                    runner.replay(tries[-1], *LEAK_ARGS),
                    leak=True,
                )
            )
            continue
        # What the command shows (the file-order run may have seen more: rows that
        # other tests left, removed too).
        candidate.tables = tables
        details: dict[str, Any] = {"tables": tables}
        if candidate.fixture:
            details.update(fixture=candidate.fixture, scope=candidate.scope, tests=shown)
        say(f"database leak confirmed: {candidate.what()}")
        findings.append(
            Finding(
                "database-leak",
                candidate.test,
                None,
                runner.replay(shown, *LEAK_ARGS),
                details=details,
            )
        )
    return findings, notes
