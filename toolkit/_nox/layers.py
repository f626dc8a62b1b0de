"""Run one test layer of one package: pytest in the package's environment.

The unit layer is hermetic (pytest-socket: no network, unix sockets allowed for
asyncio; the plugin refuses database fixtures). The integration layer gets the run's
PostgreSQL server and a database named after the package. Both run in random order
(pytest-randomly) with the run's seed, record coverage data and JUnit XML under
``reports/<package>/``, and rerun only tests marked ``flaky`` (pytest-rerunfailures).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit._nox import database, environment, reports, state
from toolkit._nox.state import notify
from toolkit.config import Package, RepoConfig
from toolkit.errors import ToolkitError
from toolkit.shards import DURATIONS_FILE, Shard, shard_from_env

if TYPE_CHECKING:
    import nox

__all__ = ["database_name", "order_args", "require_test_dir", "run_layer"]

HERMETIC_ARGS = ("--disable-socket", "--allow-unix-socket")


def database_name(package: Package) -> str:
    return package.name.replace("-", "_")


def order_args(package: Package, seed: int) -> list[str]:
    if not package.random_order:
        return ["-p", "no:randomly"]
    return ["-p", "randomly", f"--randomly-seed={seed}"]


def require_test_dir(
    session: nox.Session, config: RepoConfig, package: Package, layer: str
) -> Path:
    folder = package.test_dir(layer)
    if not folder.is_dir():
        pyproject = (package.path / "pyproject.toml").relative_to(config.root)
        session.error(
            f"{package.name} has no {folder.relative_to(config.root)} folder for the {layer} "
            f'layer: create it, or set {layer} = "<folder>" in [tool.toolkit] of {pyproject}'
        )
    return folder


def _coverage_args(package: Package) -> list[str]:
    """pytest-cov options (it follows xdist workers); the package's [tool.coverage] applies."""
    import nox.project

    pyproject = nox.project.load_toml(package.path / "pyproject.toml")
    configured = "source" in pyproject.get("tool", {}).get("coverage", {}).get("run", {})
    if configured:
        source = "--cov"
    else:
        source = "--cov=src" if (package.path / "src").is_dir() else "--cov=."
    # --cov-fail-under=0: one layer alone is not held to the bar; the coverage session is.
    return [source, "--cov-config=pyproject.toml", "--cov-report=", "--cov-fail-under=0"]


def layer_environ(
    session: nox.Session,
    config: RepoConfig,
    package: Package,
    env: environment.PackageEnv,
    layer: str,
) -> dict[str, str]:
    environ = {"TOOLKIT_LAYER": layer}
    if layer != "unit":
        server = database.server_for_run(session, env.python)
        environ.update(server.environ(database_name(package)))
    return environ


def _shard_args(session: nox.Session, package: Package) -> tuple[Shard | None, list[str]]:
    """pytest-split options for ``TOOLKIT_SHARD`` and ``TOOLKIT_STORE_DURATIONS``."""
    try:
        shard = shard_from_env()
    except ToolkitError as error:
        session.error(str(error))
    durations = str(package.path / DURATIONS_FILE)
    args = shard.pytest_args(durations) if shard else []
    if os.environ.get("TOOLKIT_STORE_DURATIONS"):
        args += ["--store-durations", f"--durations-path={durations}"]
    return shard, args


def run_layer(
    session: nox.Session, config: RepoConfig, package: Package, python: str | None, layer: str
) -> None:
    test_dir = require_test_dir(session, config, package, layer)
    shard, shard_args = _shard_args(session, package)
    env = environment.prepare(session, config, package, python)
    seed = state.seed()
    environ = layer_environ(session, config, package, env, layer)
    environ["COVERAGE_FILE"] = str(reports.coverage_data(config, package, layer, shard))
    junit = reports.junit_path(config, package, layer, shard)
    junit.unlink(missing_ok=True)
    args = [
        str(test_dir.relative_to(package.path)),
        *order_args(package, seed),
        f"--junitxml={junit}",
        f"-o=junit_suite_name={package.name}-{reports.part_name(layer, shard)}",
        *_coverage_args(package),
        *(HERMETIC_ARGS if layer == "unit" else ()),
        *shard_args,
        *state.pytest_args(session),
    ]
    part = f"{layer}({package.name})" + (f", shard {shard.index}/{shard.total}" if shard else "")
    if package.random_order:
        session.log(f"{part}: random order, seed {seed} (replay: TOOLKIT_SEED={seed})")
    else:
        session.log(f"{part}: file order ([tool.toolkit] random_order = false)")
    state.record(package.name, layer)
    if shard is None:
        # The summary is queued by the coverage sessions, so it runs after all of them.
        notify(session, "coverage", package)
    else:
        session.log(f"{part}: coverage is held to the threshold once all shards are pooled")
    session.chdir(package.path)
    session.run(
        str(env.python), "-m", "pytest", *args, env=environ, external=True, success_codes=[0, 5]
    )
