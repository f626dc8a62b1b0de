"""What a cached run costs through the README's PEP 723 noxfile, side by side.

A repository that adopts the sessions with the README's noxfile (its PEP 723 header
naming the toolkit, its body one import) is run by a nox that does not have the
toolkit, as a new user runs it. nox then installs the header's dependencies into
``.nox/_nox_script_mode`` and starts itself again from there, on every run. What that
costs once the tests' results are cached, in one run of this script:

1. the README's header as written, its URL pointing at a local clone of this
   repository's ``HEAD`` (``git+file://...@main``): target under 1 s;
2. the same header pinning the commit (``@<commit>``): uv need not even look the
   branch up;
3. the same header naming the clone's folder (``file://``): uv reinstalls a folder
   named on its command line on every run;
4. the floor: the nox of the script environment itself with ``--script-mode none``
   (a nox that has the toolkit installed), no installing at all.

Each variant is its own copy of a one-package repository (one unit test); its first
``nox -s unit`` builds everything, then ``nox -s unit`` with nothing changed (the layer
is replayed from the result cache) is timed in REPEAT rounds, each round running every
variant once, so a shared machine's load falls on all alike: compare them as ratios
and differences, and read the absolute figures against the load average printed. uv
is on ``PATH`` and no ``TOOLKIT_*`` or ``NOX_*`` variable reaches nox.

Rerun from the repository root (commit first: the clone is of ``HEAD``)::

    .venv/bin/python benchmarks/pep723.py
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, replace
from pathlib import Path

from _report import Sample, heading, print_targets, render_table, stats_cells

REPOSITORY = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_SECONDS = 1.0
REPEAT = 5
#: The README's example remote, which the benchmark replaces by a local clone.
README_URL = "git+https://git.example.com/you/monorepo-toolkit.git"

PACKAGE = {
    "pyproject.toml": '[tool.toolkit]\npackages = ["app"]\n',
    "app/pyproject.toml": """\
        [project]
        name = "app"
        version = "0.1"
        requires-python = ">=3.10"

        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
    """,
    "app/src/app/__init__.py": "def double(n):\n    return 2 * n\n",
    "app/tests/unit/test_double.py": "from app import double\n\n\ndef test_double():\n"
    "    assert double(2) == 4\n",
}


@dataclass(frozen=True)
class Variant:
    label: str
    command: list[str]
    repo: Path
    first: float | None = None


def readme_noxfile() -> str:
    """The noxfile of the README's "Adopting the sessions in another repository"."""
    readme = (REPOSITORY / "README.md").read_text()
    start = readme.index("### Adopting the sessions in another repository")
    block = re.search(r"```python\n(.*?)```", readme[start:], flags=re.DOTALL)
    if block is None or "# /// script" not in block[1] or README_URL not in block[1]:
        raise SystemExit("the README's adoption noxfile was not found where it used to be")
    return block[1]


def _environ() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TOOLKIT_", "NOX_", "VIRTUAL_ENV", "PG"))
        and key not in ("DATABASE_URL", "PYTEST_ADDOPTS")
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # uv, as a user has it
    return env


def _repository(folder: Path, noxfile: str) -> Path:
    for relative, content in {**PACKAGE, "noxfile.py": noxfile}.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))
    return folder


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def _nox(command: list[str], repo: Path, *, cached: bool) -> tuple[float, float]:
    """Wall and CPU seconds (of nox and everything it started) of one run."""
    cpu = _cpu()
    started = time.perf_counter()
    result = subprocess.run(
        [*command, "-s", "unit"],
        cwd=repo,
        env=_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    cpu = _cpu() - cpu
    if result.returncode != 0:
        raise SystemExit(f"{repo.name}: nox exited {result.returncode}:\n{result.stdout[-4000:]}")
    if cached and "unit(app): cached (key " not in result.stdout:
        raise SystemExit(f"{repo.name}: the unit layer was not replayed:\n{result.stdout[-4000:]}")
    return wall, cpu


def measure(variants: list[Variant], repeat: int) -> list[tuple[Sample, Sample]]:
    """Cached runs of every variant (wall, CPU), alternating round by round so that
    the load of a shared machine falls on each alike."""
    runs: list[list[tuple[float, float]]] = [[] for _ in variants]
    for _ in range(repeat):
        for index, variant in enumerate(variants):
            runs[index].append(_nox(variant.command, variant.repo, cached=True))
    return [
        (Sample(tuple(w for w, _ in values)), Sample(tuple(c for _, c in values)))
        for values in runs
    ]


def _nox_without_toolkit(scratch: Path) -> Path:
    uv = shutil.which("uv") or str(BIN / "uv")
    venv = scratch / "nox-only"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([uv, "pip", "install", "--quiet", "--python", python, "nox"], check=True)
    return venv / "bin" / "nox"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=REPEAT, help="cached runs per variant")
    repeat = parser.parse_args().repeat
    git = ["git", "-c", "advice.detachedHead=false"]
    commit = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    noxfile = readme_noxfile()
    scratch = Path(tempfile.mkdtemp(prefix="toolkit-pep723-"))
    try:
        clone = scratch / "monorepo-toolkit"
        subprocess.run([*git, "clone", "--quiet", str(REPOSITORY), str(clone)], check=True)
        subprocess.run([*git, "checkout", "--quiet", "-B", "main"], cwd=clone, check=True)
        nox = _nox_without_toolkit(scratch)
        documented = _repository(
            scratch / "documented", noxfile.replace(README_URL, f"git+file://{clone}")
        )
        folder_url = re.sub(
            rf"{re.escape(README_URL)}@\w+", clone.as_uri(), noxfile
        )  # the header as it was: the clone's folder
        folder = _repository(scratch / "folder", folder_url)
        head = subprocess.run(
            [*git, "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
        ).stdout.strip()
        pinned = _repository(
            scratch / "pinned",
            re.sub(rf"{re.escape(README_URL)}@\w+", f"git+file://{clone}@{head}", noxfile),
        )
        variants = [
            Variant("README header (git+file://clone@main)", [str(nox)], documented),
            Variant("header pinning a commit (@<commit>)", [str(nox)], pinned),
            Variant("header naming the folder (file://clone)", [str(nox)], folder),
        ]
        variants = [replace(v, first=_nox(v.command, v.repo, cached=False)[0]) for v in variants]
        inner = documented / ".nox" / "_nox_script_mode" / "bin" / "nox"
        floor = Variant(
            "nox with the toolkit, --script-mode none",
            [str(inner), "--script-mode", "none"],
            documented,
        )
        variants.append(floor)
        load = os.getloadavg()[0]
        samples = measure(variants, repeat)
        load = (load + os.getloadavg()[0]) / 2
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    heading(
        f"nox -s unit, cached, through a PEP 723 noxfile (toolkit at {commit}; "
        f"{repeat} alternating rounds; load average {load:.1f} on {os.cpu_count()} cores)"
    )
    lowest = samples[-1][0].median
    rows = [
        [
            variant.label,
            "-" if variant.first is None else f"{variant.first:.2f}",
            *stats_cells(wall),
            f"{wall.median - lowest:+.2f}",
            f"{wall.median / lowest:.1f}",
            f"{cpu.median:.2f}",
        ]
        for variant, (wall, cpu) in zip(variants, samples, strict=True)
    ]
    print(
        render_table(
            ["noxfile", "first s", "cached s", "min..max", "over floor s", "x floor", "CPU s"],
            rows,
        )
    )
    documented_run, folder_run = samples[0][0], samples[2][0]
    checks = [
        (
            f"README header, cached run under {TARGET_SECONDS:g} s",
            documented_run.median < TARGET_SECONDS,
            f"{documented_run.median:.2f} s",
        ),
        (
            "README header cheaper than naming the folder",
            documented_run.median < folder_run.median,
            f"{documented_run.median / folder_run.median:.2f} x",
        ),
    ]
    return print_targets(checks)


if __name__ == "__main__":
    sys.exit(main())
