"""Where the time of ``pytest -n 2`` goes in the services' integration layers.

Each sample service's integration layer is run by pytest directly, as the sessions run
it (``benchmarks/_services.py``: environments made by the sessions, one embedded
server, the package's template; the toolkit's coverage options), in one process and
with two xdist workers, with and without coverage. A small plugin
(``benchmarks/_timing_plugin.py``) has every process note when it started, when
Python and pytest were imported, when its session started (plugins, conftests and
its database clone done), when collection ended, its first and last test and its
end, so the wall time splits into:

- start: the controller up to its session start (it loads the same plugins and
  conftests, and clones a database too);
- worker start: a worker's process start to its first test, split into Python and
  pytest imports, plugins + conftests + its clone, and collection (test modules);
- test loop: the first test to the last, as the controller sees them;
- end: the last test to the session's end (under xdist the workers finish and
  stop; pytest-cov saves, and combines the workers' data; session fixtures are torn
  down), to ``unconfigure`` (terminal summary), to the process's exit.

The clone itself is timed apart on the same server and template: one clone, and two
at once as two workers make them. Each round runs every variant once, in rotating
order; medians over the rounds.

Rerun from the repository root::

    .venv/bin/python benchmarks/workers.py             # 3 rounds
    .venv/bin/python benchmarks/workers.py --repeat 5 --package projects
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from _report import Sample, heading, render_table, stats_cells
from _services import SOURCE, Layers, machine, prepared_layers

from toolkit._toml import tomllib
from toolkit.postgres import databases

PACKAGES = ("users", "projects", "notifications")
VERSION = "3.12"
BENCHMARKS = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Variant:
    name: str
    workers: int
    coverage: bool


VARIANTS = (
    Variant("one process, coverage", 0, True),
    Variant("-n 2, coverage", 2, True),
    Variant("one process, no coverage", 0, False),
    Variant("-n 2, no coverage", 2, False),
)


def coverage_args(layers: Layers, package: str) -> list[str]:
    """The sessions' options (``toolkit/host/layers.py``)."""
    folder = layers.package(package).path
    pyproject = tomllib.loads((folder / "pyproject.toml").read_text())
    if "source" in pyproject.get("tool", {}).get("coverage", {}).get("run", {}):
        source = "--cov"
    else:
        source = "--cov=src" if (folder / "src").is_dir() else "--cov=."
    return [source, "--cov-config=pyproject.toml", "--cov-report=", "--cov-fail-under=0"]


def phases(started: float, ended: float, lines: list[dict[str, float | str]]) -> dict[str, float]:
    """Seconds per phase of one run, from the processes' timing lines."""
    controller = next(line for line in lines if line["who"] == "controller")
    workers = [line for line in lines if line["who"] != "controller"]

    def at(line: dict[str, float | str], key: str) -> float:
        return float(line[key])

    split = {"start (controller to its session start)": at(controller, "sessionstart") - started}
    if workers:

        def median(first: str, last: str) -> float:
            return statistics.median(at(w, last) - at(w, first) for w in workers)

        split |= {
            "worker start: spawned after the controller's session start": statistics.median(
                at(w, "process") - at(controller, "sessionstart") for w in workers
            ),
            "worker start: Python + pytest imports": median("process", "imported"),
            "worker start: plugins, conftests, clone": median("imported", "sessionstart"),
            "worker start: collection (test modules)": median("sessionstart", "collected"),
            "worker start: collected -> first test": median("collected", "first_test"),
        }
    else:
        split["collection (test modules)"] = at(controller, "collected") - at(
            controller, "sessionstart"
        )
    last = at(controller, "last_test")
    finished, unconfigured = at(controller, "sessionfinish"), at(controller, "unconfigure")
    split |= {
        "test loop (first test -> last)": last - at(controller, "first_test"),
        "end: workers stop, coverage save (+ combine), teardown": finished - last,
        "end: terminal summary, unconfigure": unconfigured - finished,
        "end: interpreter exit": ended - unconfigured,
    }
    return split


def run_once(layers: Layers, package: str, variant: Variant, scratch: Path) -> dict[str, float]:
    timing = scratch / "timing.jsonl"
    timing.unlink(missing_ok=True)
    args = ["-p", "_timing_plugin"]
    args += ["-n", str(variant.workers)] if variant.workers else []
    args += coverage_args(layers, package) if variant.coverage else []
    extra = {
        "PYTHONPATH": os.pathsep.join([str(SOURCE), str(BENCHMARKS)]),
        "TOOLKIT_BENCH_TIMING": str(timing),
        "COVERAGE_FILE": str(scratch / "bench.coverage"),
    }
    started = time.time()
    run_ = layers.pytest(package, VERSION, "integration", args, extra)
    ended = time.time()
    lines = [json.loads(line) for line in timing.read_text().splitlines()]
    return {"wall": run_.wall, **phases(started, ended, lines)}


def measure_clones(layers: Layers, package: str, repeat: int) -> tuple[Sample, Sample]:
    assert layers.server is not None
    server, template = layers.server, layers.templates[package, VERSION]
    names = [databases.database_name("bench", "worker", str(i)) for i in range(2)]

    def clone(name: str) -> None:
        databases.clone_database(server, template, name)

    ones, twos = [], []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        clone(names[0])
        ones.append(time.perf_counter() - started)
        started = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(clone, names))
        twos.append(time.perf_counter() - started)
        for name in names:
            databases.drop_database(server, name)
    return Sample(tuple(ones[1:])), Sample(tuple(twos[1:]))


def report(
    package: str, runs: dict[str, list[dict[str, float]]], clones: tuple[Sample, Sample]
) -> dict[str, float]:
    heading(f"integration({package}) on Python {VERSION} (seconds)")
    walls = {name: Sample(tuple(r["wall"] for r in found)) for name, found in runs.items()}
    base = walls[VARIANTS[0].name].median
    rows = [
        [name, *stats_cells(sample), f"{sample.median / base:.2f}x"]
        for name, sample in walls.items()
    ]
    print(render_table(["whole pytest run", "median", "min..max", "vs one process"], rows))
    print()
    names = [variant.name for variant in VARIANTS]
    keys: list[str] = []
    for name in names:
        keys += [key for key in runs[name][0] if key != "wall" and key not in keys]
    table = []
    for key in keys:
        cells = []
        for name in names:
            values = [r[key] for r in runs[name] if key in r]
            cells.append(f"{statistics.median(values):.2f}" if values else "")
        table.append([key, *cells])
    print(render_table(["where it goes (medians)", *names], table))
    one, two = clones
    print(
        f"\nclone of the package's template: one {one.median * 1000:.0f} ms, two at once "
        f"{two.median * 1000:.0f} ms (inside 'plugins, conftests, clone' above)"
    )
    return {
        "one": walls[VARIANTS[0].name].median,
        "two": walls[VARIANTS[1].name].median,
        "one_plain": walls[VARIANTS[2].name].median,
        "two_plain": walls[VARIANTS[3].name].median,
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--package", nargs="+", default=list(PACKAGES), help="services")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"{machine()}, {args.repeat} rounds, {' '.join(args.package)}")
    started = time.perf_counter()
    totals = {}
    with tempfile.TemporaryDirectory(prefix="toolkit-bench-workers-") as scratch_dir:
        scratch = Path(scratch_dir).resolve()
        with prepared_layers(scratch, args.package, [VERSION]) as layers:
            for package in args.package:
                print(f"{package}: ", end="", flush=True)
                layers.pytest(package, VERSION, "integration", [])  # untimed: bytecode
                runs: dict[str, list[dict[str, float]]] = {v.name: [] for v in VARIANTS}
                for round_ in range(args.repeat):
                    for offset in range(len(VARIANTS)):
                        variant = VARIANTS[(round_ + offset) % len(VARIANTS)]
                        runs[variant.name].append(run_once(layers, package, variant, scratch))
                        print(".", end="", flush=True)
                print()
                clones = measure_clones(layers, package, args.repeat)
                totals[package] = report(package, runs, clones)
    heading("Summary: -n 2 against one process, same layer (medians)")
    for package, figures in totals.items():
        print(
            f"integration({package}): with coverage {figures['two'] / figures['one']:.2f}x "
            f"({figures['one']:.1f} s -> {figures['two']:.1f} s); without "
            f"{figures['two_plain'] / figures['one_plain']:.2f}x"
        )
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"\ntotal wall time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
