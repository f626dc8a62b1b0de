"""What a second ``nox -s unit integration`` costs when nothing, or one file, changed.

This repository's own sessions on its sample packages (``services/*`` and ``libs/*``,
as the root ``[tool.toolkit]`` lists them), in a fresh clone of the current commit in
a temporary folder, side by side in one run:

1. first run: ``nox -s unit integration`` in the fresh clone: every package
   environment is built (uv's cache and the toolkit's initdb cache stay as warm as
   this machine has them), every test runs, results are stored;
2. nothing changed: the same command again; every layer of every package should be
   replayed (``cached (key ...)``), target <= 5 % of the first run and under 1 s;
3. one source file of ``projects`` changed (a function appended to a module): only
   ``projects`` and the packages that depend on it should run their tests again.

Beside them, the result cache's key of each sample package's ``unit`` layer, computed
in this process on the clone after the first run (every file hashed, the environment's
installed distributions read, the newest entry read and its MAC checked): the median
of 5, target well under 0.3 s each.

Each run is one whole nox command as users type it (coverage and summary sessions
included), timed from start to exit. The run's nox is the one beside this Python, uv
is on ``PATH``, and no ``TOOLKIT_*`` variable reaches it but ``TOOLKIT_CACHE_DIR``
(the initdb cache, a speed-up of the first run only). The clone is removed at the end.

Rerun from the repository root (commit first: the clone is of ``HEAD``)::

    .venv/bin/python benchmarks/incremental.py
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _report import heading, print_targets, render_table

REPOSITORY = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHANGED_PACKAGE = "projects"
CHANGED_FILE = "services/projects/src/projects/slugs.py"
TARGET_RATIO = 0.05
TARGET_SECONDS = 1.0
TARGET_KEY_SECONDS = 0.3
_SESSION = re.compile(r"^nox > Running session (?P<name>\S+)$")
_CACHED = re.compile(r"^nox > (?P<layer>unit|integration)\((?P<package>[^)]+)\): cached \(key ")
_PYTEST = re.compile(r"^nox > \S+/bin/python -m pytest ")


@dataclass(frozen=True)
class Run:
    label: str
    wall: float
    cached: frozenset[str]
    tested: frozenset[str]
    output: str


def _environ() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TOOLKIT_", "NOX_", "VIRTUAL_ENV", "PG"))
        and key not in ("DATABASE_URL", "PYTEST_ADDOPTS")
    }
    if "TOOLKIT_CACHE_DIR" in os.environ:
        env["TOOLKIT_CACHE_DIR"] = os.environ["TOOLKIT_CACHE_DIR"]
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _layers(output: str) -> tuple[frozenset[str], frozenset[str]]:
    """The layer sessions replayed from the cache, and those that ran pytest."""
    cached: set[str] = set()
    tested: set[str] = set()
    current = ""
    for line in output.splitlines():
        if match := _SESSION.match(line):
            current = match["name"]
        elif match := _CACHED.match(line):
            cached.add(f"{match['layer']}({match['package']})")
        elif _PYTEST.match(line) and current.startswith(("unit(", "integration(")):
            tested.add(current)
    return frozenset(cached), frozenset(tested)


def nox(label: str, clone: Path) -> Run:
    started = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "nox"), "-s", "unit", "integration"],
        cwd=clone,
        env=_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{label}: nox exited {result.returncode}:\n{result.stdout[-4000:]}")
    cached, tested = _layers(result.stdout)
    return Run(label, wall, cached, tested, result.stdout)


def _layer_sessions(clone: Path) -> tuple[list[str], set[str]]:
    """Every layer session of the clone's packages, and the packages a change to
    ``projects`` should rerun (it and those that depend on it)."""
    sys.path.insert(0, str(clone))
    from toolkit.host.config import load_config

    config = load_config(clone)
    changed = config.package(CHANGED_PACKAGE)
    affected = {changed.name} | {
        package.name for package in config.packages if changed in config.local_dependencies(package)
    }
    sessions = [
        f"{layer}({package.name})" for package in config.packages for layer in package.layers
    ]
    return sessions, affected


class _Session:
    """What the result cache reads of a nox session: its arguments and its log."""

    posargs: list[str] = []

    def log(self, message: str) -> None:
        pass

    def error(self, message: str) -> None:
        raise SystemExit(message)


def key_times(clone: Path) -> dict[str, float]:
    """The median time, over 5, to compute each package's ``unit`` key."""
    sys.path.insert(0, str(REPOSITORY))
    from toolkit.host import cache
    from toolkit.host.config import load_config
    from toolkit.host.environment import PackageEnv
    from toolkit.host.run import Run as NoxRun

    config = load_config(clone)
    times = {}
    for package in config.packages:
        envs = sorted((clone / ".nox").glob(f"toolkit-{package.name}-py*"))
        if not envs or package.test_dirs.get("unit") is None:
            continue
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            cache.lookup(
                _Session(), NoxRun(config), package, PackageEnv(envs[0]), None, "unit", None
            )  # type: ignore[arg-type]
            samples.append(time.perf_counter() - start)
        times[package.name] = sorted(samples)[2]
    return times


def main() -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    scratch = Path(tempfile.mkdtemp(prefix="toolkit-incremental-"))
    try:
        clone = scratch / "repo"
        subprocess.run(["git", "clone", "--quiet", str(REPOSITORY), str(clone)], check=True)
        sessions, affected = _layer_sessions(clone)
        heading(f"nox -s unit integration, fresh clone of {commit} ({len(sessions)} layers)")
        first = nox("first run (fresh clone)", clone)
        keys = key_times(clone)
        second = nox("nothing changed", clone)
        source = clone / CHANGED_FILE
        source.write_text(source.read_text() + "\n\ndef _touched() -> None:\n    pass\n")
        third = nox(f"one file of {CHANGED_PACKAGE} changed", clone)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    rows = []
    for run in (first, second, third):
        rows.append(
            [
                run.label,
                f"{run.wall:.1f}",
                f"{run.wall / first.wall:.3f}",
                str(len(run.tested)),
                str(len(run.cached)),
            ]
        )
    print(render_table(["run", "wall s", "x first", "layers run", "layers cached"], rows))
    print()
    print(
        render_table(
            ["result cache key of", "median ms (of 5)", "x unchanged run"],
            [
                [f"unit({name})", f"{seconds * 1000:.0f}", f"{seconds / second.wall:.3f}"]
                for name, seconds in keys.items()
            ],
        )
    )

    expected_third = {s for s in sessions if s.split("(")[1].rstrip(")") in affected}
    checks = [
        (
            f"nothing changed: <= {TARGET_RATIO:.0%} of the first run",
            second.wall / first.wall <= TARGET_RATIO,
            f"{second.wall / first.wall:.1%}",
        ),
        (
            f"nothing changed: under {TARGET_SECONDS:g} s",
            second.wall < TARGET_SECONDS,
            f"{second.wall:.2f} s",
        ),
        (
            f"every key under {TARGET_KEY_SECONDS:g} s",
            all(seconds < TARGET_KEY_SECONDS for seconds in keys.values()),
            f"slowest {max(keys.values(), default=0) * 1000:.0f} ms",
        ),
        (
            "nothing changed: every layer cached",
            second.cached == set(sessions) and not second.tested,
            f"{len(second.cached)} of {len(sessions)} cached, {len(second.tested)} run",
        ),
        (
            f"{CHANGED_PACKAGE} changed: only {', '.join(sorted(affected))} rerun",
            third.tested == expected_third and third.cached == set(sessions) - expected_third,
            "run: " + ", ".join(sorted(third.tested)),
        ),
    ]
    return print_targets(checks)


if __name__ == "__main__":
    sys.exit(main())
