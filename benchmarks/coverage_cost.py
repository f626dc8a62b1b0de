"""What coverage costs a test layer, per option and interpreter, beside the uncovered run.

The integration and unit layers of a sample service (``projects`` by default: 106
integration tests on a real PostgreSQL) are run by pytest directly, as the sessions run
them (``benchmarks/_services.py``: a scratch copy of the services, environments made by
the sessions, one embedded server, the package's template), on each interpreter asked
for, with:

- ``no coverage``: no ``--cov`` option (pytest-cov loaded, idle);
- ``--cov (package source)``: the toolkit's options for a package whose
  ``[tool.coverage.run] source`` names its own code (``projects`` does), C tracer;
- ``--cov=. (whole folder)``: what a package without ``source`` and without ``src/``
  gets: its tests and tooling measured too;
- ``branch off``: the same source with ``branch = false`` (``projects`` asks for
  branches; shown for packages that do not);
- ``COVERAGE_CORE=sysmon``, with the package's settings, and with branch off.
  coverage falls back to its C tracer where ``sys.monitoring`` cannot measure what is
  asked (branches before Python 3.14): the ``core`` column says which core ran,
  read from coverage's own warning.

No contexts anywhere (the toolkit never asks for them: ``--cov-context`` costs a
context switch per test). An untimed run first writes bytecode. Each round runs every
variant once, in rotating order, so drift on a shared machine hits all alike; medians
with min..max; the ratio is against the uncovered run on the same interpreter and
layer.

Rerun from the repository root (Python 3.13 from ``pyenv prefix 3.13.0``)::

    .venv/bin/python benchmarks/coverage_cost.py                       # 3 rounds, 3.12 + 3.13
    .venv/bin/python benchmarks/coverage_cost.py --repeat 5 --python 3.12
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _report import Sample, heading, render_table, stats_cells
from _services import SOURCE, Layers, machine, passed, prepared_layers
from sessions import Run

from toolkit._toml import tomllib
from toolkit.host.measurement import requested_core

TARGET_RATIO = 1.4
NO_SYSMON = "Can't use core=sysmon"
REPORT_ARGS = ("--cov-report=", "--cov-fail-under=0")


@dataclass(frozen=True)
class Variant:
    name: str
    cov: tuple[str, ...]
    branch_off: bool = False
    sysmon: bool = False

    def args(self, rc_nobranch: Path) -> list[str]:
        if not self.cov:
            return []
        config = str(rc_nobranch) if self.branch_off else "pyproject.toml"
        return [*self.cov, f"--cov-config={config}", *REPORT_ARGS]


VARIANTS = (
    Variant("no coverage", ()),
    Variant("--cov (package source), C tracer", ("--cov",)),
    Variant("--cov=. (whole folder), C tracer", ("--cov=.",)),
    Variant("--cov (package source), branch off", ("--cov",), branch_off=True),
    Variant("COVERAGE_CORE=sysmon, package settings", ("--cov",), sysmon=True),
    Variant("COVERAGE_CORE=sysmon, branch off", ("--cov",), branch_off=True, sysmon=True),
)


def write_nobranch_config(package: str, scratch: Path) -> Path:
    """The package's ``[tool.coverage.run]`` with ``branch = false``, as a TOML file."""
    run = {**coverage_settings(package), "branch": False}
    lines = ["[tool.coverage.run]"]
    for key, value in run.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, list):
            lines.append(f"{key} = [{', '.join(repr(str(item)) for item in value)}]")
        else:
            lines.append(f"{key} = {str(value)!r}")
    path = scratch / f"{package}-nobranch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def coverage_settings(package: str) -> dict[str, Any]:
    """The package's ``[tool.coverage.run]`` in this checkout."""
    pyproject = tomllib.loads((SOURCE / "services" / package / "pyproject.toml").read_text())
    return dict(pyproject.get("tool", {}).get("coverage", {}).get("run", {}))


def toolkit_variant(settings: dict[str, Any], version: str) -> Variant:
    """The variant the sessions run for a package with these settings on ``version``."""
    sysmon = requested_core(settings, version) == "sysmon"
    branch_off = not settings.get("branch", False)
    return next(v for v in VARIANTS[1:] if v.sysmon == sysmon and v.branch_off == branch_off)


def core_used(variant: Variant, run_: Run) -> str:
    if not variant.cov:
        return "-"
    if variant.sysmon and NO_SYSMON not in run_.output:
        return "sysmon"
    return "ctrace" + (" (sysmon refused)" if variant.sysmon else "")


def measure(
    layers: Layers,
    package: str,
    versions: Sequence[str],
    layer_names: Sequence[str],
    repeat: int,
    scratch: Path,
) -> dict[tuple[str, str, str], tuple[Sample, str, int]]:
    rc = write_nobranch_config(package, scratch)
    data = scratch / "bench.coverage"
    found: dict[tuple[str, str, str], list[Run]] = {}
    for version in versions:
        for layer in layer_names:
            print(f"{package} {layer} on Python {version}: ", end="", flush=True)
            layers.pytest(package, version, layer, [])  # untimed: writes bytecode
            for round_ in range(repeat):
                for offset in range(len(VARIANTS)):
                    variant = VARIANTS[(round_ + offset) % len(VARIANTS)]
                    extra = {"COVERAGE_FILE": str(data)}
                    if variant.sysmon:
                        extra["COVERAGE_CORE"] = "sysmon"
                    run_ = layers.pytest(package, version, layer, variant.args(rc), extra)
                    found.setdefault((version, layer, variant.name), []).append(run_)
                    print(".", end="", flush=True)
            print()
    results = {}
    for (version, layer, name), runs in found.items():
        variant = next(v for v in VARIANTS if v.name == name)
        results[version, layer, name] = (
            Sample(tuple(r.wall for r in runs)),
            core_used(variant, runs[0]),
            passed(runs[0]),
        )
    return results


def report(
    results: dict[tuple[str, str, str], tuple[Sample, str, int]],
    package: str,
    versions: Sequence[str],
    layer_names: Sequence[str],
) -> None:
    configured = coverage_settings(package)
    no_branch = {**configured, "branch": False}
    verdicts = []
    for version in versions:
        for layer in layer_names:
            base = results[version, layer, VARIANTS[0].name][0].median
            tests = results[version, layer, VARIANTS[0].name][2]
            heading(f"{layer}({package}) on Python {version}: {tests} tests (seconds)")
            rows = []
            for variant in VARIANTS:
                sample, core, _ = results[version, layer, variant.name]
                ratio = f"{sample.median / base:.2f}x"
                rows.append([variant.name, *stats_cells(sample), ratio, core])
            headers = ["", "wall median", "min..max", "vs no coverage", "core"]
            print(render_table(headers, rows))
            for settings, label in ((configured, "as configured"), (no_branch, "branch off")):
                chosen = toolkit_variant(settings, version)
                ratio = results[version, layer, chosen.name][0].median / base
                verdicts.append((version, layer, label, chosen.name, ratio))
    heading(
        f"Summary: the toolkit's choice (toolkit/host/measurement.py), target <= {TARGET_RATIO}x"
    )
    for version, layer, label, name, ratio in verdicts:
        verdict = "met" if ratio <= TARGET_RATIO else "missed"
        print(
            f"Python {version} {layer}({package}), {label}: {name}: {ratio:.2f}x the "
            f"uncovered run ({verdict})"
        )
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--package", default="projects", help="a sample service (projects)")
    parser.add_argument(
        "--python", nargs="+", default=["3.12", "3.13"], help="interpreters (3.12 3.13)"
    )
    parser.add_argument("--layer", nargs="+", default=["integration", "unit"], help="layers (both)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"{machine()}, {args.repeat} rounds, {args.package}, Pythons {' '.join(args.python)}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="toolkit-bench-coverage-") as scratch_dir:
        scratch = Path(scratch_dir).resolve()
        with prepared_layers(scratch, [args.package], args.python) as layers:
            results = measure(layers, args.package, args.python, args.layer, args.repeat, scratch)
    report(results, args.package, args.python, args.layer)
    print(f"\ntotal wall time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
