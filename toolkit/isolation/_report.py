"""What the engine found, as data: the order runs and the findings, in the JSON the
README describes (``reports/isolation.json``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toolkit.isolation._reportlog import Execution, describe_leak

if TYPE_CHECKING:
    from toolkit.isolation._exposure import Exposure

__all__ = ["KINDS", "Finding", "Note", "OrderRun", "Report"]

KINDS = ("order-dependent", "brittle", "non-deterministic", "database-leak")


@dataclass
class OrderRun:
    """One run of the whole suite: ``order`` is ``file``, ``reverse`` (file order
    exactly reversed), ``interleave``, ``reverse-interleave``, ``alone`` (each test in
    a process of its own) or ``random`` (pytest-randomly with ``seed``)."""

    seed: int | None
    executions: list[Execution]
    order: str = "random"

    def __post_init__(self) -> None:
        if self.seed is None and self.order == "random":
            self.order = "file"

    @property
    def label(self) -> str:
        if self.order == "alone":
            return "each-test-alone"
        return f"seed {self.seed}" if self.order == "random" else f"{self.order} order"

    def outcome(self, test: str) -> str | None:
        """The test's outcome in this run (its first execution), None if it did not run."""
        for execution in self.executions:
            if execution.test == test:
                return execution.outcome
        return None

    def failed(self) -> list[str]:
        return sorted({execution.test for execution in self.executions if execution.failed})

    def tests(self) -> set[str]:
        return {execution.test for execution in self.executions}

    def prefix(self, test: str) -> list[str]:
        """Tests that ran before ``test`` in the same process (xdist: the same worker)."""
        worker = next((e.worker for e in self.executions if e.test == test), None)
        before: dict[str, None] = {}
        for execution in self.executions:
            if execution.worker != worker:
                continue
            if execution.test == test:
                break
            before[execution.test] = None
        return list(before)

    def as_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "order": self.order,
            "tests": len(self.tests()),
            "failed": self.failed(),
        }


@dataclass
class Finding:
    """One problem: ``kind`` (one of :data:`KINDS`), the test, its causes where they
    apply, the seed of the run that showed it, and one command that shows it."""

    kind: str
    test: str
    seed: int | None
    reproduce: str
    polluters: list[str] | None = None
    state_setters: list[str] | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"kind": self.kind, "test": self.test}
        if self.polluters is not None:
            document["polluters"] = self.polluters
        if self.state_setters is not None:
            document["state_setters"] = self.state_setters
        document["seed"] = self.seed
        document["reproduce"] = self.reproduce
        document.update(self.details)
        return document

    def cause(self) -> str:
        if self.kind == "order-dependent":
            sets = self.details.get("polluter_sets", [self.polluters or []])
            return "; ".join(" + ".join(group) for group in sets) or "?"
        if self.kind == "brittle":
            sets = self.details.get("state_setter_sets", [self.state_setters or []])
            return "passes after " + ("; ".join(" + ".join(group) for group in sets) or "?")
        if self.kind == "database-leak":
            tables = describe_leak(self.details.get("tables", {}))
            fixture = self.details.get("fixture")
            if fixture:
                return f"fixture {fixture} ({self.details.get('scope')} scope) left {tables}"
            return f"left {tables}"
        return "marked flaky" if self.details.get("marked_flaky") else "not marked flaky"


@dataclass
class Note:
    """A failing test that is not a finding: it ``fails alone`` (a plain failure, for
    the unit or integration layer to show), its failure was ``unconfirmed`` (it did not
    fail again when its run was replayed one process at a time: e.g. two concurrent
    runs writing one fixed path), or it was ``unsearched`` (the budget ran out)."""

    kind: str
    test: str
    reason: str
    command: str
    leak: bool = False  # a database leak, not a failing test

    def as_json(self) -> dict[str, Any]:
        return {"test": self.test, "reason": self.reason, "command": self.command}


@dataclass
class Report:
    """Everything one analysis found, and how many pytest runs it took."""

    runs: list[OrderRun]
    findings: list[Finding]
    pytest_runs: int
    notes: list[Note] = field(default_factory=list)
    seconds: float = 0.0
    leak_watch: str | None = None  # "on: DATABASE_URL", "off: psycopg is not installed ..."
    #: Database leaks the package accepts (``isolation_accepted_leaks``): not findings.
    accepted: list[Finding] = field(default_factory=list)
    exposure: Exposure | None = None  # what the orders covered

    def noted(self, kind: str) -> list[Note]:
        """The notes of one kind: ``fails alone``, ``unconfirmed`` or ``unsearched``."""
        return [note for note in self.notes if note.kind == kind]

    @property
    def always_failing(self) -> list[str]:
        """Tests that fail even alone (kept for callers of earlier versions)."""
        return [note.test for note in self.noted("fails alone")]

    def as_json(self) -> dict[str, Any]:
        """``{"runs": [...], "findings": [...], ...}``: one package's entry in
        isolation.json; ``fails_alone``, ``unconfirmed`` and ``unsearched`` list the
        failing tests that are not findings, each with a command that shows it."""
        document: dict[str, Any] = {
            "runs": [run.as_json() for run in self.runs],
            "findings": [finding.as_json() for finding in self.findings],
        }
        if self.exposure is not None:
            document["exposure"] = self.exposure.as_json()
        for kind in ("fails alone", "unconfirmed", "unsearched"):  # present, even empty
            document[kind.replace(" ", "_")] = [n.as_json() for n in self.noted(kind)]
        document["accepted_leaks"] = [finding.as_json() for finding in self.accepted]
        return document

    def accept_leaks(self, accepted: Sequence[str]) -> list[str]:
        """Move the database leaks ``accepted`` names (a finding's ``fixture``, or its
        ``test`` for a test's own leak) from the findings to :attr:`accepted`; returns
        the names that matched no leak (stale entries)."""
        used: set[str] = set()
        kept = []
        for finding in self.findings:
            name = finding.details.get("fixture") or finding.test
            if finding.kind == "database-leak" and name in accepted:
                self.accepted.append(finding)
                used.add(name)
            else:
                kept.append(finding)
        self.findings = kept
        return [name for name in accepted if name not in used]

    def summary(self) -> list[str]:
        """Lines for a log: the failing tests that are not findings, with commands."""
        lines = [self.exposure.line()] if self.exposure is not None else []
        if (
            self.leak_watch
            and self.leak_watch.startswith("off")
            and "no DATABASE_URL" not in self.leak_watch
        ):
            lines.append(f"database leak check {self.leak_watch}")
        titles = {
            "fails alone": "fail(s) even alone (not an isolation problem; the command shows it)",
            "unconfirmed": "failed (or left the database changed) once but not again one "
            "process at a time (not reported)",
            "unsearched": "not searched: the isolation budget ran out (the command shows it "
            "failing)",
        }
        for kind, title in titles.items():
            notes = self.noted(kind)
            if notes:
                lines.append(f"{len(notes)} test(s) {title}")
                lines += [f"  {note.test}: {note.reason}: {note.command}" for note in notes]
        return lines

    def table(self) -> str:
        """The findings as an aligned text table (kind, test, cause)."""
        if not self.findings:
            return "no findings"
        rows = [("kind", "test", "cause / polluters / state-setters")]
        rows += [(f.kind, f.test, f.cause()) for f in self.findings]
        widths = [max(len(row[column]) for row in rows) for column in range(2)]
        return "\n".join(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}" for row in rows)
