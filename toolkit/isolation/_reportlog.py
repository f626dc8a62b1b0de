"""Read a pytest-reportlog file into the run's executions, in the order they happened.

Outcomes come from the machine-readable log only. One execution is one pass of a test
through setup, call and teardown; the same test may execute twice in one run (the
engine's probes), told apart by the ``isolation_position`` user property. Under xdist
every worker has its own sequence: what ran before a test is what ran before it on
the same worker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Execution", "describe_leak", "read_executions"]

_POSITION = "isolation_position"  # toolkit.testing.order.POSITION (not imported: no pytest here)
_LEAK = "isolation_leak"  # toolkit.testing.leaks.LEAK
_FIXTURE_LEAK = "isolation_fixture_leak"  # toolkit.testing.leaks.FIXTURE_LEAK


@dataclass
class Execution:
    """One execution of one test: its outcome and what the log says about it."""

    test: str
    worker: str = ""
    position: int | None = None
    outcome: str = "passed"  # passed | failed | skipped
    duration: float = 0.0
    marked_flaky: bool = False
    #: Tables the test left changed, in words (``{"public.notes": "+1 row"}``).
    leak: dict[str, Any] = field(default_factory=dict)
    #: Fixtures whose leak showed when they were torn down during this execution:
    #: ``{"fixture": "file::name", "scope": ..., "tables": {...}, "tests": [...]}``.
    fixture_leaks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


def describe_leak(tables: dict[str, Any]) -> str:
    """The tables something left changed, in words: ``public.notes: +1 row``. (A
    number is a row-count change, as plugins of earlier versions wrote them.)"""

    def one(table: str, change: Any) -> str:
        if isinstance(change, str):
            return f"{table}: {change}"
        if change == 0:
            return f"{table}: rows changed"
        return f"{table}: {change:+d} row{'' if abs(change) == 1 else 's'}"

    return ", ".join(one(table, change) for table, change in tables.items())


def _properties(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value for name, value in (tuple(prop) for prop in entry.get("user_properties", []))
    }


def read_executions(path: Path) -> list[Execution]:
    """Executions in log order (workers interleaved; each worker's own order kept).

    A test rerun by pytest-rerunfailures (``outcome == "rerun"``) counts by its final
    attempt, as in the unit and integration layers.
    """
    executions: list[Execution] = []
    current: dict[tuple[str, str, object], Execution] = {}
    if not path.is_file():
        return executions
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if entry.get("$report_type") != "TestReport":
            continue
        properties = _properties(entry)
        worker = str(entry.get("worker_id") or "")
        position = properties.get(_POSITION)
        key = (worker, entry["nodeid"], position)
        execution = current.get(key)
        if execution is None:
            execution = Execution(entry["nodeid"], worker, position)
            current[key] = execution
            executions.append(execution)
        execution.marked_flaky |= "flaky" in entry.get("keywords", {})
        outcome = entry["outcome"]
        execution.duration += float(entry.get("duration") or 0.0)
        if outcome == "rerun":
            execution.outcome = "passed"  # a later attempt decides
        elif outcome == "failed":
            execution.outcome = "failed"
        elif outcome == "skipped" and execution.outcome != "failed":
            execution.outcome = "skipped"
        if _LEAK in properties:
            execution.leak = dict(properties[_LEAK])
        for name, value in (tuple(prop) for prop in entry.get("user_properties", [])):
            for leak in value if name == _FIXTURE_LEAK else ():
                if leak not in execution.fixture_leaks:
                    execution.fixture_leaks.append(leak)
        if entry["when"] == "teardown" and entry["outcome"] != "rerun" and position is None:
            # Without positions, a later execution of the same test is a new one.
            del current[key]
    return executions
