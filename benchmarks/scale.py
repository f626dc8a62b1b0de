"""Monorepo scale, side by side in one run.

1. The integration layer of each sample service with ``-n 2`` against ``-n 0``
   (pytest-xdist, each worker with its own database cloned from the template), through
   ``nox -R -s "integration(<service>)" -- -n N``: the speed-up on this machine's cores.
2. Changed-package selection on a generated repository of 50 packages (a dependency
   chain plus fan-out, one changed file): ``select()`` in process, and the whole
   ``toolkit packages --changed-since`` command a CI plan job runs.

Rerun: ``python benchmarks/scale.py [--repeat N] [--services users,projects]``, from
the repository root, with nox and uv beside this Python (the dev venv) and Python 3.12
on PATH. Package environments must exist (any earlier ``nox -s integration`` made them).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _report import Sample, heading, render_table, stats_cells

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVICES = ("notifications", "projects", "users")
PACKAGES = 50


def _environ() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("TOOLKIT_SEED", "20261125")
    env["TOOLKIT_CACHE"] = "0"  # every repeat runs its tests: no replayed results
    return env


def _time(command: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return elapsed


def measure_workers(services: Sequence[str], repeat: int) -> dict[tuple[str, int], Sample]:
    env = _environ()
    nox = str(BIN / "nox")
    samples: dict[tuple[str, int], list[float]] = {}
    for service in services:
        _time([nox, "-R", "-s", f"integration({service})"], ROOT, env)  # warm-up
        for _ in range(repeat):
            for workers in (0, 2):  # interleaved: drift from other load hits both
                command = [nox, "-R", "-s", f"integration({service})", "--", "-n", str(workers)]
                samples.setdefault((service, workers), []).append(_time(command, ROOT, env))
    return {key: Sample(tuple(values)) for key, values in samples.items()}


def report_workers(samples: dict[tuple[str, int], Sample], services: Sequence[str]) -> float:
    heading(
        f"1. Integration layer, -n 0 vs -n 2 ({os.cpu_count()} CPUs; seconds, whole nox command)"
    )
    rows = []
    speedups = []
    for service in services:
        serial, parallel = samples[service, 0], samples[service, 2]
        speedup = serial.median / parallel.median
        speedups.append(speedup)
        rows.append([service, *stats_cells(serial), *stats_cells(parallel), f"{speedup:.2f}x"])
    print(render_table(["service", "-n 0", "min..max", "-n 2", "min..max", "speed-up"], rows))
    total = sum(samples[s, 0].median for s in services) / sum(
        samples[s, 2].median for s in services
    )
    print(f"all services: {total:.2f}x")
    return total


def _write_repo(root: Path) -> None:
    """50 packages: p00 <- p01 <- ... <- p09 (a chain), and p10..p49 each on one of them."""
    (root / "pyproject.toml").write_text('[tool.toolkit]\npackages = ["packages/*"]\n')
    for index in range(PACKAGES):
        folder = root / "packages" / f"p{index:02d}"
        (folder / "src" / f"p{index:02d}").mkdir(parents=True)
        (folder / "src" / f"p{index:02d}" / "__init__.py").write_text("")
        depends = (
            [] if index == 0 else [f"p{index - 1:02d}" if index < 10 else f"p{index % 10:02d}"]
        )
        (folder / "pyproject.toml").write_text(
            f'[project]\nname = "p{index:02d}"\nversion = "1"\n'
            f"dependencies = {depends!r}\n".replace("'", '"')
        )
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "start"], cwd=root, check=True)
    (root / "packages" / "p05" / "src" / "p05" / "__init__.py").write_text("CHANGED = True\n")


def measure_selection(repeat: int) -> tuple[Sample, Sample, int]:
    from toolkit.host.changes import select
    from toolkit.host.config import load_config

    with tempfile.TemporaryDirectory(prefix="toolkit-bench-scale-") as scratch:
        root = Path(scratch)
        _write_repo(root)
        in_process, command = [], []
        selected = 0
        for _ in range(repeat):
            started = time.perf_counter()
            selection = select(load_config(root), "main")
            in_process.append(time.perf_counter() - started)
            selected = len(selection.packages)
            command.append(
                _time(
                    [str(BIN / "toolkit"), "packages", "--changed-since", "main"], root, _environ()
                )
            )
        # the change in p05 selects p05..p09 (chain) and p15, p25, ... on each of them
        expected = {f"p{i:02d}" for i in range(5, 10)} | {
            f"p{i:02d}" for i in range(10, PACKAGES) if i % 10 >= 5
        }
        assert set(selection.packages) == expected, selection.packages
    return Sample(tuple(in_process)), Sample(tuple(command)), selected


def report_selection(in_process: Sample, command: Sample, selected: int) -> None:
    heading(
        f"2. Changed-package selection, {PACKAGES} packages, one changed file ({selected} selected)"
    )
    print(
        render_table(
            ["", "median ms", "min..max ms"],
            [
                ["select() in process (config + git + graph)", *stats_cells(in_process, 1000, 1)],
                [
                    "toolkit packages --changed-since (whole command)",
                    *stats_cells(command, 1000, 1),
                ],
            ],
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="rounds for the worker comparison")
    parser.add_argument("--selection-repeat", type=int, default=7)
    parser.add_argument("--services", default=",".join(SERVICES))
    args = parser.parse_args(argv)
    services = [name for name in args.services.split(",") if name]
    started = time.perf_counter()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    speedup = report_workers(measure_workers(services, args.repeat), services)
    report_selection(*measure_selection(args.selection_repeat))
    heading("Summary")
    print(f"integration layer speed-up with -n 2 on {os.cpu_count()} CPUs: {speedup:.2f}x")
    print(f"total wall time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
