"""The sample services' test layers, run by pytest directly on a server of their own.

A scratch copy of this repository's ``services/``, ``libs/`` and root ``pyproject.toml``
(with ``[tool.toolkit] python`` set to the interpreters asked for, a matrix) gets its
package environments from the toolkit's own sessions, run once by the nox beside this
Python with the toolkit importable from this checkout. Then one embedded server is
started (``toolkit postgres --until-eof``, as the sessions start it), each package's
template is built (``toolkit template``), and layers are run as the sessions run them:
``python -m pytest`` in the package's folder with its ``[tool.toolkit.env]``, the
layer, ``DATABASE_URL`` and the template. What the sessions add around pytest (nox,
reports) is left out: these benchmarks compare pytest runs with each other.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sessions import Run, run

from toolkit.host.config import Package, load_config
from toolkit.postgres.server import Server
from toolkit.postgres.urls import parse_url

__all__ = ["Layers", "machine", "passed", "prepared_layers"]

SOURCE = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEED = "424242"
_COPIED = ("services", "libs", "pyproject.toml")
_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped)")
DROPPED = {"DATABASE_URL", "PYTEST_ADDOPTS", "VIRTUAL_ENV", "PYTHONHOME", "COVERAGE_CORE"}


def machine() -> str:
    """The line every run starts with: what the figures were measured on."""
    return (
        f"python {sys.version.split()[0]} (host), {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}"
    )


def passed(run_: Run) -> int:
    """How many tests passed, from pytest's last line."""
    return sum(int(n) for n, what in _SUMMARY.findall(run_.output) if what == "passed")


@dataclass
class Layers:
    """Where the copy lives, its server, and how each package's layer is started."""

    repo: Path
    pycache: Path
    server: Server | None = None
    templates: dict[tuple[str, str], str] = field(default_factory=dict)

    def package(self, name: str) -> Package:
        return load_config(self.repo).package(name)

    def python(self, name: str, version: str) -> Path:
        return self.repo / ".nox" / f"toolkit-{name}-py{version}" / "bin" / "python"

    def base_env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in DROPPED and not key.startswith(("TOOLKIT_", "NOX_", "PG"))
        }
        if os.environ.get("TOOLKIT_CACHE_DIR"):  # the initdb cache, where the user keeps it
            env["TOOLKIT_CACHE_DIR"] = os.environ["TOOLKIT_CACHE_DIR"]
        env["PYTHONPATH"] = str(SOURCE)
        env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["TOOLKIT_CACHE"] = "0"  # the non-cached path, always
        return env

    def environ(self, name: str, version: str, layer: str) -> dict[str, str]:
        """What the layer session hands pytest (no reports folder: pytest only)."""
        package = self.package(name)
        env = {**self.base_env(), **package.env, "TOOLKIT_LAYER": layer}
        if layer == "integration":
            assert self.server is not None
            env |= self.server.environ(name.replace("-", "_"), package.database_url_scheme)
            env["TOOLKIT_DATABASE_TEMPLATE"] = self.templates[name, version]
        return env

    def pytest(
        self,
        name: str,
        version: str,
        layer: str,
        args: Sequence[str],
        extra_env: dict[str, str] | None = None,
    ) -> Run:
        """One run of the layer; fails loudly unless it passed."""
        package = self.package(name)
        folder = package.test_dirs[layer]
        assert folder is not None
        command = [
            str(self.python(name, version)),
            *("-m", "pytest", str(folder.relative_to(package.path))),
            *("-p", "randomly", f"--randomly-seed={SEED}", "-q", "-p", "no:cacheprovider"),
            *(("--disable-socket", "--allow-unix-socket") if layer == "unit" else ()),
            *args,
        ]
        env = {**self.environ(name, version, layer), **(extra_env or {})}
        return run(command, package.path, env, expect=" passed")


def _copy_repo(repo: Path, versions: Sequence[str]) -> None:
    for name in _COPIED:
        source = SOURCE / name
        if source.is_dir():
            shutil.copytree(
                source,
                repo / name,
                ignore=shutil.ignore_patterns(".nox", "reports", "__pycache__", "*.egg-info"),
            )
        else:
            shutil.copy2(source, repo / name)
    root = repo / "pyproject.toml"
    text = root.read_text()
    matrix = "[" + ", ".join(f'"{version}"' for version in versions) + "]"
    text, count = re.subn(
        r'(?m)^python = "[^"]*"$', f"python = {matrix}", text.replace("\r\n", "\n"), count=1
    )
    if count != 1:
        raise RuntimeError("no [tool.toolkit] python line to set in the root pyproject.toml")
    root.write_text(text)
    (repo / "noxfile.py").write_text("import toolkit.sessions\n")


def _interpreters_on_path(versions: Sequence[str]) -> str:
    """PATH with each requested Python's folder (pyenv's, when it has one) added."""
    folders = []
    for version in versions:
        prefix = subprocess.run(
            ["pyenv", "prefix", version], capture_output=True, text=True, check=False
        )
        folder = Path(prefix.stdout.strip()) / "bin" if prefix.returncode == 0 else None
        if folder and folder.is_dir():
            folders.append(str(folder))
    return os.pathsep.join([str(BIN), *folders, os.environ.get("PATH", "")])


def _create_environments(layers: Layers, names: Sequence[str], versions: Sequence[str]) -> None:
    """The sessions create the package environments (and check the layer runs)."""
    env = {**layers.base_env(), "PATH": _interpreters_on_path(versions)}
    env["TOOLKIT_SEED"] = SEED
    sessions = [
        f"unit({name}-py{version})" if len(versions) > 1 else f"unit({name})"
        for name in names
        for version in versions
    ]
    run([str(BIN / "nox"), "-s", *sessions], layers.repo, env, expect="Ran ")


def _template(layers: Layers, name: str, version: str) -> str:
    package = layers.package(name)
    assert layers.server is not None
    env = {
        **layers.base_env(),
        **package.env,
        **layers.server.environ(name.replace("-", "_"), package.database_url_scheme),
    }
    result = subprocess.run(
        [str(layers.python(name, version)), "-m", "toolkit", "template", name],
        cwd=layers.repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"toolkit template {name} failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1]


@contextmanager
def prepared_layers(
    scratch: Path, names: Sequence[str], versions: Sequence[str]
) -> Iterator[Layers]:
    """The copy, its environments, one embedded server and each package's template."""
    repo = scratch / "repo"
    repo.mkdir()
    _copy_repo(repo, versions)
    layers = Layers(repo, scratch / "pycache")
    _create_environments(layers, names, versions)
    python = layers.python(names[0], versions[0])
    server_process = subprocess.Popen(
        [str(python), "-m", "toolkit", "postgres", "--until-eof", "--provider", "embedded"],
        env=layers.base_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server_process.stdout is not None and server_process.stderr is not None
        url = server_process.stdout.readline().strip()
        if not url:
            raise RuntimeError(f"no server: {server_process.stderr.read()[-2000:]}")
        layers.server = parse_url(url, source="the benchmark's server")
        for name in names:
            for version in versions:
                layers.templates[name, version] = _template(layers, name, version)
        yield layers
    finally:
        assert server_process.stdin is not None
        server_process.stdin.close()
        server_process.wait(timeout=60)
