"""Order dependence: run a package's whole suite in file order and in several random
orders, and name each test that fails only in some order, with the seed to replay it.

Outcomes come from pytest-reportlog (one JSON line per test phase), never from the
terminal text.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit._nox import environment, layers, reports, state
from toolkit.config import LAYERS, Package, RepoConfig

if TYPE_CHECKING:
    import nox

__all__ = ["check", "failed_tests"]


@dataclass(frozen=True)
class OrderRun:
    seed: int | None  # None: file order
    failed: frozenset[str]
    total: int

    def as_json(self) -> dict:
        return {"seed": self.seed, "order": "file" if self.seed is None else "random",
                "tests": self.total, "failed": sorted(self.failed)}


def failed_tests(report_log: Path) -> tuple[frozenset[str], int]:
    """Node ids that failed in any phase, and how many tests ran, from a report log."""
    failed: set[str] = set()
    seen: set[str] = set()
    for line in report_log.read_text().splitlines():
        entry = json.loads(line)
        if entry.get("$report_type") != "TestReport":
            continue
        seen.add(entry["nodeid"])
        if entry["outcome"] == "failed":
            failed.add(entry["nodeid"])
    return frozenset(failed), len(seen)


def _run_order(session, env, package, dirs, environ, log: Path, seed: int | None) -> OrderRun:
    log.unlink(missing_ok=True)
    session.run(
        str(env.python), "-m", "pytest", *dirs, *_order(seed), "-p", "no:cacheprovider", "-q",
        f"--report-log={log}", *session.posargs,
        env=environ, external=True, success_codes=[0, 1, 5],
    )
    failed, total = failed_tests(log) if log.is_file() else (frozenset(), 0)
    return OrderRun(seed, failed, total)


def _order(seed: int | None) -> list[str]:
    return ["-p", "no:randomly"] if seed is None else ["-p", "randomly", f"--randomly-seed={seed}"]


def _reproduce(package: Package, env: environment.PackageEnv, dirs: list[str], seed: int | None) -> str:
    command = [str(env.python), "-m", "pytest", *dirs, *_order(seed), "-p", "no:cacheprovider"]
    return f"cd {shlex.quote(str(package.path))} && {shlex.join(command)}"


def _write(config: RepoConfig, package: Package, runs: list[OrderRun], findings: list[dict]) -> None:
    path = reports.reports_dir(config) / "isolation.json"
    document = json.loads(path.read_text()) if path.is_file() else {}
    document.setdefault("packages", {})[package.name] = {
        "runs": [run.as_json() for run in runs],
        "findings": findings,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def check(
    session: nox.Session, config: RepoConfig, package: Package, python: str | None
) -> None:
    dirs = [
        str(package.test_dir(layer).relative_to(package.path))
        for layer in LAYERS
        if package.test_dir(layer).is_dir()
    ]
    if not dirs:
        layers.require_test_dir(session, config, package, LAYERS[0])
    env = environment.prepare(session, config, package, python)
    environ = layers.layer_environ(session, config, package, env, "isolation")
    folder = reports.package_dir(config, package) / "isolation"
    folder.mkdir(exist_ok=True)
    session.chdir(package.path)
    base_seed = state.seed()
    session.log(f"isolation({package.name}): file order, then {config.isolation_orders} random orders")
    runs = [_run_order(session, env, package, dirs, environ, folder / "file-order.jsonl", None)]
    for index in range(config.isolation_orders):
        seed = base_seed + index
        session.log(f"isolation({package.name}): random order {index + 1}/{config.isolation_orders}, seed {seed}")
        runs.append(_run_order(session, env, package, dirs, environ, folder / f"seed-{seed}.jsonl", seed))
    always = frozenset.intersection(*(run.failed for run in runs))
    findings: list[dict] = []
    for test in sorted(frozenset.union(*(run.failed for run in runs)) - always):
        # Fails in some orders and passes in others: order-dependent. Replay the first
        # order it failed in (the file order is replayed with -p no:randomly).
        failing = next(run for run in runs if test in run.failed)
        findings.append(
            {
                "kind": "order-dependent",
                "test": test,
                "polluters": [],
                "seed": failing.seed,
                "reproduce": _reproduce(package, env, dirs, failing.seed),
            }
        )
    _write(config, package, runs, findings)
    if always:
        session.log(f"isolation({package.name}): {len(always)} test(s) fail in every order")
    if findings:
        for finding in findings:
            session.log(f"order-dependent: {finding['test']} (seed {finding['seed']}): {finding['reproduce']}")
        session.error(
            f"{package.name}: {len(findings)} test(s) fail only in some orders; "
            f"see reports/isolation.json for the seed and the command that replays each"
        )
    session.log(f"isolation({package.name}): no order dependence found in {len(runs)} orders")
