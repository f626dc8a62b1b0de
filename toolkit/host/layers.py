"""Run one test layer of one package: pytest in the package's environment.

The unit layer is hermetic (pytest-socket: no network, unix sockets allowed for
asyncio; the plugin refuses database fixtures). The integration layer gets the run's
PostgreSQL server and a fresh database of the package's own, whatever its tests use.
Both run in random order (pytest-randomly) with the run's seed, record coverage data
and JUnit XML under ``reports/<package>/``, and rerun only tests marked ``flaky``
(pytest-rerunfailures). A package without a layer's folder has no tests in it: the
session is skipped, saying so.
"""

from __future__ import annotations

import collections
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit import variables
from toolkit._lifetime import dies_with_parent
from toolkit.errors import ToolkitError
from toolkit.host import cache, coverage, environment, reports
from toolkit.host.config import Package
from toolkit.host.measurement import coverage_environ
from toolkit.host.reports import Outcome
from toolkit.host.run import Run, pytest_args
from toolkit.host.shards import DURATIONS_FILE, Shard, shard_from_env
from toolkit.isolation import order_args

if TYPE_CHECKING:
    import nox

__all__ = ["layer_dir", "package_environ", "package_order_args", "run_layer", "run_pytest"]

HERMETIC_ARGS = ("--disable-socket", "--allow-unix-socket")
# pytest's exit codes: 0 passed, 1 tests failed, 5 nothing collected; the rest mean the
# run itself broke (interrupted by collection errors, internal error, usage error).
_PASSED_CODES = (0, 5)
_TESTS_FAILED = 1
_SUMMARY_ERROR = re.compile(r"^ERROR (?P<what>.+)$")
_EXCEPTION_LINE = re.compile(r"^E\s+(?P<what>\S.*)$")
_EXCEPTION_NAME = re.compile(r"^[\w.]*(?:Error|Exception)\b")


def package_order_args(package: Package, seed: int) -> list[str]:
    """The run's random order, or file order for a package that opted out: the same
    arguments the isolation engine uses for those orders."""
    return order_args("random", seed) if package.random_order else order_args("file")


def layer_dir(session: nox.Session, run: Run, package: Package, layer: str) -> Path:
    """The layer's folder; the session is skipped when the package has no such layer.

    A folder named in ``[tool.toolkit]`` that does not exist is a mistake, not an
    absent layer.
    """
    root = run.config.root
    # A package packaged the older way has none yet: one holding [tool.toolkit] will do.
    pyproject = (package.path / "pyproject.toml").relative_to(root)
    folder = package.test_dirs[layer]
    if folder is not None and not folder.is_dir() and layer in package.configured_layers:
        session.error(
            f"{package.name}: {folder.relative_to(root)} (the {layer} folder named in "
            f"[tool.toolkit] of {pyproject}) does not exist: create it or fix the path"
        )
    if folder is None or not folder.is_dir():
        stray = _stray_tests(package)
        if stray is not None:
            where = stray.relative_to(package.path)
            session.error(
                f"{package.name} has tests in {stray.relative_to(root)} but no unit or "
                f'integration folder, so none would run: set unit = "{where}" (or '
                f'integration = "{where}" if they need the database) in [tool.toolkit] of '
                f"{pyproject}, or once in the root pyproject for every package"
            )
        run.set_outcome(package, layer, Outcome("absent"))
        why = (
            f"{layer} = false in [tool.toolkit] of {pyproject}"
            if folder is None
            else "its plain tests/ folder runs as the integration layer, with the database; "
            f'set unit = "<folder>" in [tool.toolkit] of {pyproject} for tests that need none'
            if package.plain_tests
            else f"no {folder.relative_to(root)} folder; if they live elsewhere, "
            f'set {layer} = "<folder>" in [tool.toolkit] of {pyproject}'
        )
        session.skip(f"{package.name} has no {layer} tests ({why})")
    return folder


def _stray_tests(package: Package) -> Path | None:
    """The package's ``tests`` folder when it holds test files that no layer runs:
    skipping every layer of such a package would pass a run that tested nothing."""
    if package.layers or None in package.test_dirs.values():
        return None  # a layer runs, or the package declared one absent on purpose
    folder = package.path / "tests"
    patterns = ("test_*.py", "*_test.py")
    if folder.is_dir() and any(next(folder.rglob(p), None) for p in patterns):
        return folder
    return None


#: Files at a package's root that are tools, not its code.
_TOOL_FILES = frozenset({"setup.py", "noxfile.py", "conftest.py"})
#: Folders at a package's root that hold tests or tooling, not its code.
_NOT_CODE = frozenset({"tests", "test", "reports", "docs", "build", "dist"})


def measured_code(package: Package) -> list[str]:
    """What a layer measures when the package's coverage settings choose nothing: its
    ``src/``, else its top-level packages and modules, never its tests nor the tool
    files at its root (noxfile.py, setup.py, conftest.py). pytest-cov's ``--cov``
    takes a folder as a folder and a module's name as a module."""
    root = package.path
    if (root / "src").is_dir():
        return ["src"]
    code = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith((".", "__")) or entry.name in _NOT_CODE:
            continue
        if entry.is_dir() and (entry / "__init__.py").is_file():
            code.append(entry.name)
        elif (
            entry.suffix == ".py"
            and entry.is_file()
            and entry.name not in _TOOL_FILES
            and not entry.name.startswith("test_")
            and not entry.stem.endswith("_test")
            and entry.stem.isidentifier()
        ):
            code.append(entry.stem)
    test_dirs = [folder for folder in package.test_dirs.values() if folder is not None]
    return [name for name in code if root / name not in test_dirs] or ["."]


def _coverage_args(package: Package) -> list[str]:
    """pytest-cov options (it follows xdist workers). Coverage reads the package's own
    configuration file, wherever coverage.py finds it (``--cov-config`` is left at
    pytest-cov's default, which lets coverage look); what it measures is its
    ``source`` when it sets one (bare ``--cov``), else :func:`measured_code`."""
    if package.coverage.chooses_source:
        sources = ["--cov"]
    else:
        sources = [f"--cov={name}" for name in measured_code(package)]
    # --cov-report=: no terminal report (the summary has the figures).
    # --cov-fail-under=0: one layer alone is not held to the bar; the coverage session is.
    return [*sources, "--cov-report=", "--cov-fail-under=0"]


def package_environ(
    session: nox.Session,
    run: Run,
    package: Package,
    env: environment.PackageEnv,
    layer: str,
    *,
    with_database: bool,
) -> dict[str, str]:
    """What a pytest run of the package sees: its ``[tool.toolkit.env]``, the layer, and
    (``with_database``) the run's server and a fresh database of its own."""
    environ = {**package.env, variables.LAYER: layer}
    if with_database:
        environ.update(run.database.package_environ(session, run.config, package, env))
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


def _broken_run_reason(code: int, tail: collections.deque[str]) -> str:
    """The first line that says why pytest could not run the tests."""
    lines = [line.rstrip() for line in tail]
    internal = [
        line.removeprefix("INTERNALERROR> E").strip()
        for line in lines
        if line.startswith("INTERNALERROR> E ")
    ]
    if internal:  # a plugin raised: the line naming its exception, else its last line
        named = [line for line in internal if _EXCEPTION_NAME.match(line)]
        return named[-1] if named else internal[-1]
    for pattern in (_SUMMARY_ERROR, _EXCEPTION_LINE):
        found = [match["what"] for line in lines if (match := pattern.match(line))]
        if found and pattern is _SUMMARY_ERROR:
            return found[0]
        if found:  # the line naming the exception, not a hint printed after it
            named = [line for line in found if _EXCEPTION_NAME.match(line)]
            return named[-1] if named else found[-1]
    last = next((line for line in reversed(lines) if line.strip()), "")
    return last.strip("= ") or f"pytest exited with code {code}"


def run_pytest(
    session: nox.Session, python: Path, args: list[str], env: dict[str, str], cwd: Path
) -> tuple[int, str]:
    """Run pytest, its output streamed; its exit code and, unless it passed, the line
    most likely to say why (meaningful when the run itself broke).

    nox's ``session.run`` gives no exit code and no output to read a reason from, and
    its child outlives a killed nox.
    """
    command = [str(python), "-m", "pytest", *args]
    session.log(shlex.join(command))
    tail: collections.deque[str] = collections.deque(maxlen=400)
    with subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        preexec_fn=dies_with_parent(),  # nox runs sessions on its main thread
    ) as child:
        assert child.stdout is not None
        try:
            for line in child.stdout:
                print(line, end="", flush=True)
                tail.append(line)
            code = child.wait()
        except KeyboardInterrupt:
            child.wait()  # Ctrl-C reached pytest too: let it stop, then stop the run
            raise
    return code, "" if code in _PASSED_CODES else _broken_run_reason(code, tail)


def run_layer(
    session: nox.Session, run: Run, package: Package, python: str | None, layer: str
) -> None:
    config = run.config
    shard, shard_args = _shard_args(session, package)
    # Whatever happens next, nothing an earlier run left may pass for this run's results.
    junit = reports.junit_path(config, package, layer, shard)
    coverage_data = reports.coverage_data(config, package, layer, shard)
    for stale in (junit, coverage_data):
        stale.unlink(missing_ok=True)
    test_dir = layer_dir(session, run, package, layer)
    part = f"{layer}({package.name})" + (f", shard {shard.index}/{shard.total}" if shard else "")
    if shard is None:
        # The summary is queued by the coverage sessions, so it runs after all of them.
        run.notify(session, "coverage", package)
    else:
        session.log(f"{part}: coverage is held to the threshold once all shards are pooled")
    # Built (or found current) first: what it holds is part of the result's key.
    env = environment.prepare(session, config, package, python)
    slot = cache.lookup(session, run, package, env, python, layer, shard)
    if slot is not None:
        if slot.replay(junit, coverage_data):
            session.log(f"{part}: cached (key {slot.short})")
            run.set_outcome(package, layer, Outcome("cached", f"key {slot.short}"))
            return
        session.log(f"{part}: not cached: {slot.why_not()}")
    seed = run.seed()
    environ = package_environ(
        session, run, package, env, layer, with_database=layer == "integration"
    )
    environ["COVERAGE_FILE"] = str(coverage_data)
    environ.update(coverage_environ(package, env.minor))
    if shard is None:  # pytest writes the reports the coverage session would
        # Only layers this run ran or replayed: another layer's data is an earlier run's.
        done = [*(coverage.this_run_layers(run, package) or []), layer]
        parts = reports.coverage_parts(config, package, including=coverage_data, layers=done)
        environ[variables.COVERAGE_REPORT] = str(coverage_data.parent)
        environ[variables.COVERAGE_PARTS] = os.pathsep.join(map(str, parts))
    args = [
        str(test_dir.relative_to(package.path)),
        *package_order_args(package, seed),
        f"--junitxml={junit}",
        f"-o=junit_suite_name={package.name}-{reports.part_name(layer, shard)}",
        *_coverage_args(package),
        *(HERMETIC_ARGS if layer == "unit" else ()),
        *shard_args,
        *pytest_args(session),
    ]
    if package.random_order:
        session.log(f"{part}: random order, seed {seed} (replay: TOOLKIT_SEED={seed})")
    else:
        session.log(f"{part}: file order ([tool.toolkit] random_order = false)")
    code, reason = run_pytest(session, env.python, args, environ, package.path)
    if slot is not None:
        slot.record_outputs()  # a failing run's own reports are outputs too
    result = reports.layer_result([junit])
    if code == _TESTS_FAILED and result is not None and result.unsuccessful:
        reason = ""  # tests failed: the counts say it all
    if reason:
        run.set_outcome(package, layer, Outcome("error", reason))
        session.error(f"{part}: pytest could not run the tests (exit code {code}): {reason}")
    if code == _TESTS_FAILED:
        run.set_outcome(package, layer, Outcome("failed", "tests failed"))
        session.error(f"{part}: tests failed")
    run.set_outcome(package, layer, Outcome("passed"))
    if slot is not None and not slot.store(junit, coverage_data, environment.built_on(env)):
        session.log(f"{part}: result not cached: {slot.note}")
