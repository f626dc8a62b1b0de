"""The ``isolation`` session: one package's suite through the isolation engine.

The engine (:mod:`toolkit.isolation`, standard library only, so the host may import
it) runs the suite in file order and in ``isolation_orders`` random orders, then
explains every test whose outcome depends on the run: order-dependent (with its
polluters), brittle (with its state-setters), non-deterministic (marked flaky or
not), and tests that leave rows in the package's database. This module gives it the
package's environment, database and seed, logs its progress, writes
``reports/isolation.json`` and fails the session on any finding.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import TYPE_CHECKING

from toolkit._nox import environment, layers, reports, state
from toolkit.config import LAYERS, Package, RepoConfig
from toolkit.isolation import IsolationError, Report, analyse

if TYPE_CHECKING:
    import nox

__all__ = ["check"]

_XDIST_OPTIONS = ("-n", "--numprocesses", "--dist", "-d", "--tx")
_ORDER_KINDS = ("order-dependent", "brittle", "non-deterministic")


def _uses_xdist(args: list[str]) -> bool:
    return any(arg.split("=", 1)[0] in _XDIST_OPTIONS or arg.startswith("-n") for arg in args)


def _write(config: RepoConfig, package: Package, report: Report) -> None:
    path = reports.reports_dir(config) / "isolation.json"
    document = json.loads(path.read_text()) if path.is_file() else {}
    document.setdefault("packages", {})[package.name] = report.as_json()
    path.write_text(json.dumps(document, indent=2) + "\n")


def _verdict(package: Package, report: Report) -> str:
    by_kind = {
        kind: [f for f in report.findings if f.kind == kind]
        for kind in (*_ORDER_KINDS, "database-leak")
    }
    parts = []
    ordered = sum(len(by_kind[kind]) for kind in _ORDER_KINDS)
    if ordered:
        breakdown = ", ".join(
            f"{len(by_kind[kind])} {kind}" for kind in _ORDER_KINDS if by_kind[kind]
        )
        parts.append(f"{ordered} test(s) fail only in some orders ({breakdown})")
    if by_kind["database-leak"]:
        parts.append(f"{len(by_kind['database-leak'])} test(s) leave rows in the database")
    return (
        f"{package.name}: "
        + "; ".join(parts)
        + "; see reports/isolation.json for the cause and the command that shows each"
    )


def check(session: nox.Session, config: RepoConfig, package: Package, python: str | None) -> None:
    dirs = [
        str(package.test_dir(layer).relative_to(package.path))
        for layer in LAYERS
        if package.test_dir(layer).is_dir()
    ]
    if not dirs:
        layers.require_test_dir(session, config, package, LAYERS[0])
    env = environment.prepare(session, config, package, python)
    environ = layers.layer_environ(session, config, package, env, "isolation")
    work_dir = reports.package_dir(config, package) / "isolation"
    shutil.rmtree(work_dir, ignore_errors=True)
    args = state.pytest_args(session)
    # Whole-suite orders run two at a time (each on a database of its own), unless the
    # user already spreads each run over workers with xdist.
    jobs = 1 if _uses_xdist(args) else min(2, os.cpu_count() or 1)
    seed = state.seed()
    name = f"isolation({package.name})"
    session.log(
        f"{name}: file order, its reverse, then {config.isolation_orders} random orders from seed {seed} "
        f"(replay: TOOLKIT_SEED={seed}); pytest output in {work_dir.relative_to(config.root)}"
    )
    try:
        report = analyse(
            package.path,
            env.python,
            paths=dirs,
            env=environ,
            args=args,
            orders=config.isolation_orders,
            seed=seed,
            jobs=jobs,
            max_sets=config.isolation_max_sets,
            budget=config.isolation_budget,
            work_dir=work_dir,
            progress=lambda message: session.log(f"{name}: {message}"),
        )
    except IsolationError as error:
        session.error(f"{name}: {error}")
    _write(config, package, report)
    session.log(f"{name}: {report.pytest_runs} pytest runs")
    for line in report.summary():
        session.log(f"{name}: {line}")
    if report.findings:
        for line in report.table().splitlines():
            session.log(line)
        for finding in report.findings:
            session.log(f"{finding.kind}: {finding.test}: {finding.reproduce}")
        session.error(_verdict(package, report))
    session.log(f"{name}: no findings in {len(report.runs)} orders")
