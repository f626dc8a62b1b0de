"""The ``isolation`` session: one package's suite through the isolation engine.

The engine (:mod:`toolkit.isolation`, standard library only, so the host may import
it) runs the suite in deterministic orders, each test alone and random orders, then
explains every test whose outcome depends on the run: order-dependent (with its
polluters), brittle (with its state-setters), non-deterministic (marked flaky or
not), and tests or fixtures that leave the package's database changed.
This module gives it the package's environment, database and seed, logs its
progress, writes ``reports/isolation.json`` and fails the session on any finding,
database leaks only under the package's ``isolation_leaks = "fail"`` (the default;
``report`` lists them, ``off`` does not look); the leaks its
``isolation_accepted_leaks`` names are listed as accepted, not as findings.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import TYPE_CHECKING

from toolkit.host import environment, layers, reports
from toolkit.host.config import LAYERS, Package, RepoConfig
from toolkit.host.run import Run, pytest_args
from toolkit.isolation import IsolationError, Report, analyse, uses_xdist

if TYPE_CHECKING:
    import nox

__all__ = ["check"]

_ORDER_KINDS = ("order-dependent", "brittle", "non-deterministic")


def _write(config: RepoConfig, package: Package, report: Report) -> None:
    path = reports.reports_dir(config) / "isolation.json"
    document = json.loads(path.read_text()) if path.is_file() else {}
    document.setdefault("packages", {})[package.name] = report.as_json()
    path.write_text(json.dumps(document, indent=2) + "\n")


def _failing(package: Package, report: Report) -> bool:
    """Order-dependent, brittle and non-deterministic findings always fail the session;
    database leaks only under ``isolation_leaks = "fail"`` (the default)."""
    return any(
        finding.kind in _ORDER_KINDS
        or (finding.kind == "database-leak" and package.isolation_leaks == "fail")
        for finding in report.findings
    )


def _verdict(package: Package, report: Report) -> str:
    by_kind = {
        kind: [f for f in report.findings if f.kind == kind]
        for kind in (*_ORDER_KINDS, "database-leak")
    }
    if package.isolation_leaks != "fail":
        by_kind["database-leak"] = []
    parts = []
    ordered = sum(len(by_kind[kind]) for kind in _ORDER_KINDS)
    if ordered:
        breakdown = ", ".join(
            f"{len(by_kind[kind])} {kind}" for kind in _ORDER_KINDS if by_kind[kind]
        )
        parts.append(f"{ordered} test(s) fail only in some orders ({breakdown})")
    if by_kind["database-leak"]:
        parts.append(
            f"{len(by_kind['database-leak'])} confirmed database leak(s) (isolation_leaks = "
            '"report" lists them without failing)'
        )
    return (
        f"{package.name}: "
        + "; ".join(parts)
        + "; see reports/isolation.json for the cause and the command that shows each"
    )


def _reproduce_with(config: RepoConfig, package: Package, env: environment.PackageEnv) -> list[str]:
    """How a finding's command starts: the package environment's ``toolkit reproduce``,
    which brings a server, the package's setup and env (pasted at the repository root)."""
    toolkit = env.location.relative_to(config.root) / "bin" / "toolkit"
    return [str(toolkit), "reproduce", package.name, "--"]


def check(session: nox.Session, run: Run, package: Package, python: str | None) -> None:
    config = run.config
    dirs = [
        str(layers.layer_dir(session, run, package, layer).relative_to(package.path))
        for layer in package.layers
    ]
    if not dirs:
        session.skip(f"{package.name} has no tests in any layer ({', '.join(LAYERS)})")
    env = environment.prepare(session, config, package, python)
    environ = layers.package_environ(
        session, run, package, env, "isolation", with_database=package.needs_database
    )
    work_dir = reports.package_dir(config, package) / "isolation"
    shutil.rmtree(work_dir, ignore_errors=True)
    args = pytest_args(session)
    # Whole-suite orders run two at a time (each on a database of its own), unless the
    # user already spreads each run over workers with xdist or says otherwise.
    jobs = 1 if uses_xdist(args) else config.isolation_jobs or min(2, os.cpu_count() or 1)
    seed = run.seed()
    name = f"isolation({package.name})"
    session.log(
        f"{name}: file order, its reverse, interleaved and reversed, each test alone, then "
        + (
            f"{config.isolation_orders} random orders "
            if config.isolation_orders
            else "random orders scaled to the suite's size and speed "
        )
        + f"from seed {seed} (replay: TOOLKIT_SEED={seed}); "
        f"pytest output in {work_dir.relative_to(config.root)}"
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
            leaks=package.isolation_leaks != "off",
            budget=config.isolation_budget,
            work_dir=work_dir,
            progress=lambda message: session.log(f"{name}: {message}"),
            reproduce_with=_reproduce_with(config, package, env),
        )
    except IsolationError as error:
        session.error(f"{name}: {error}")
    for stale in report.accept_leaks(package.accepted_leaks):
        session.warn(
            f"{name}: isolation_accepted_leaks names {stale}, which left no confirmed leak "
            "in this run: remove it once the leak is fixed"
        )
    for finding in report.accepted:
        session.log(
            f"{name}: accepted database leak (isolation_accepted_leaks): {finding.test}: "
            f"{finding.cause()}"
        )
    _write(config, package, report)
    session.log(f"{name}: {report.pytest_runs} pytest runs")
    for line in report.summary():
        session.log(f"{name}: {line}")
    if jobs > 1 and any(not note.leak for note in report.noted("unconfirmed")):
        session.warn(
            f"{name}: tests that failed only while another order ran beside them may "
            "collide on something the orders share (a fixed database name, port or path): "
            "isolation_jobs = 1 in [tool.toolkit] of pyproject.toml runs one order at a time"
        )
    if report.findings:
        for line in report.table().splitlines():
            session.log(line)
        for finding in report.findings:
            for command in finding.details.get("reproduce_sets") or [finding.reproduce]:
                session.log(f"{finding.kind}: {finding.test}: {command}")
        if _failing(package, report):
            session.error(_verdict(package, report))
        leaks = len(report.findings)
        session.log(
            f"{name}: {leaks} confirmed database leak(s) listed, not failing the session "
            '(isolation_leaks = "report")'
        )
        return
    session.log(f"{name}: no findings in {len(report.runs)} orders")
