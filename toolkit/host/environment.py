"""One virtual environment per package, shared by all of its sessions.

nox gives every session its own venv and has no way to share one (wntrblm/nox#167).
A package's unit, integration, coverage and isolation sessions need the very same
packages, so the toolkit keeps one environment per package and Python version under
``.nox/toolkit-<package>[-py<version>]`` and runs tools from it; nox's sessions
themselves use ``venv_backend="none"``.

An environment carries a stamp: a hash of everything that decides its contents (the
requirements and every pyproject they come from). A run whose stamp matches installs
nothing; ``nox -R`` skips even that check. uv creates and fills environments when it
is on PATH (hard links from its cache make a cold package environment cost seconds);
otherwise the standard library's venv and pip do.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import toolkit
from toolkit.host.config import Package, RepoConfig

if TYPE_CHECKING:
    import nox

__all__ = ["PackageEnv", "prepare", "toolkit_requirement"]

TOOLKIT_EXTRAS = "embedded,docker,runner"
_STAMP = ".toolkit-stamp"


@dataclass(frozen=True)
class PackageEnv:
    location: Path

    @property
    def python(self) -> Path:
        return self.location / "bin" / "python"


def toolkit_requirement() -> list[str]:
    """Install arguments for the toolkit itself, matching the one nox imported.

    ``TOOLKIT_INSTALL_SPEC`` wins; then a source checkout (editable); then the URL
    the distribution was installed from (PEP 610: a path or a VCS URL); then the same
    version from the index.
    """
    explicit = os.environ.get("TOOLKIT_INSTALL_SPEC")
    if explicit:
        return [explicit]
    source = Path(toolkit.__file__).resolve().parent.parent
    if _is_toolkit_source(source):
        return ["-e", f"{source}[{TOOLKIT_EXTRAS}]"]
    try:
        direct = metadata.distribution("monorepo-toolkit").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct = None
    if direct:
        info = json.loads(direct)
        url = info["url"]
        if url.startswith("file://") and "vcs_info" not in info:
            return [f"monorepo-toolkit[{TOOLKIT_EXTRAS}] @ {url}"]
        if "vcs_info" in info:
            vcs = info["vcs_info"]
            revision = vcs.get("commit_id")
            suffix = f"@{revision}" if revision else ""
            return [f"monorepo-toolkit[{TOOLKIT_EXTRAS}] @ {vcs['vcs']}+{url}{suffix}"]
    return [f"monorepo-toolkit[{TOOLKIT_EXTRAS}]=={toolkit.__version__}"]


def _is_toolkit_source(folder: Path) -> bool:
    pyproject = folder / "pyproject.toml"
    return pyproject.is_file() and 'name = "monorepo-toolkit"' in pyproject.read_text()


def _requirements(config: RepoConfig, package: Package) -> list[str]:
    """pip arguments: workspace dependencies from their folders, then the package."""
    import nox.project

    args: list[str] = []
    for dependency in config.local_dependencies(package):
        args += ["-e", str(dependency.path)]
    extra = "[test]" if package.has_test_extra and not package.has_test_group else ""
    args += ["-e", f"{package.path}{extra}"]
    if package.has_test_group:
        pyproject = nox.project.load_toml(package.path / "pyproject.toml")
        args += list(nox.project.dependency_groups(pyproject, "test"))
    return args + toolkit_requirement()


def _stamp(config: RepoConfig, package: Package, interpreter: str, requirements: list[str]) -> str:
    digest = hashlib.sha256(json.dumps([interpreter, requirements]).encode())
    sources = [package, *config.local_dependencies(package)]
    files = [source.path / "pyproject.toml" for source in sources]
    toolkit_source = Path(toolkit.__file__).resolve().parent.parent
    if _is_toolkit_source(toolkit_source):
        files.append(toolkit_source / "pyproject.toml")
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def _uv() -> str | None:
    """uv on PATH, or beside the Python running nox (``pip install uv`` puts it there)."""
    found = shutil.which("uv")
    if found:
        return found
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.is_file() else None


def _interpreter(session: nox.Session, version: str | None) -> str:
    """The Python ``version`` ([tool.toolkit] python), else the one running nox."""
    if not version:
        return sys.executable
    candidates = [shutil.which(f"python{version}")]
    uv = _uv()
    if uv:
        found = subprocess.run([uv, "python", "find", version], capture_output=True, text=True)
        candidates.append(found.stdout.strip() if found.returncode == 0 else None)
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0:
            return candidate
    session.error(
        f"Python {version} (from [tool.toolkit] python) was not found: install it or put "
        f"python{version} on PATH"
    )
    raise AssertionError("unreachable")


def _no_install(session: nox.Session) -> bool:
    """``nox -R`` / ``--no-install``: reuse the environment as it is."""
    return bool(getattr(session._runner.global_config, "no_install", False))


def _create(session: nox.Session, location: Path, interpreter: str) -> None:
    shutil.rmtree(location, ignore_errors=True)
    uv = _uv()
    if uv:
        session.run(uv, "venv", "--quiet", "--python", interpreter, str(location), external=True)
    else:
        session.run(interpreter, "-m", "venv", str(location), external=True)


def _install_error(output: str) -> str:
    """The line of an installer's output that says what went wrong."""
    lines = [line.strip(" ×╰─▶│") for line in output.splitlines() if line.strip()]
    # uv explains a failed resolution on its "Because ..." line; pip on "ERROR: ...".
    for prefixes in (("because",), ("error",), ("no solution",)):
        for line in lines:
            if line.lower().startswith(prefixes):
                return line
    return lines[-1] if lines else "no output"


def _install(
    session: nox.Session, package: Package, env: PackageEnv, requirements: list[str]
) -> None:
    uv = _uv()
    if uv:
        command = [uv, "pip", "install", "--quiet", "--python", str(env.python), *requirements]
    else:
        command = [
            str(env.python),
            *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *requirements,
        ]
    session.log(f"{package.name}: installing into {env.location}")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        session.error(
            f"{package.name}: its environment could not be installed: "
            f"{_install_error(result.stderr or result.stdout)}"
        )


def prepare(
    session: nox.Session, config: RepoConfig, package: Package, version: str | None
) -> PackageEnv:
    """The package's environment for Python ``version``, created or updated as needed."""
    name = f"toolkit-{package.name}" + (f"-py{version}" if version else "")
    env = PackageEnv(config.root / ".nox" / name)
    if env.python.exists() and _no_install(session):
        return env
    interpreter = _interpreter(session, version)
    requirements = _requirements(config, package)
    stamp = _stamp(config, package, interpreter, requirements)
    stamp_file = env.location / _STAMP
    recorded = json.loads(stamp_file.read_text()) if stamp_file.is_file() else {}
    if env.python.exists() and recorded.get("stamp") == stamp:
        session.log(f"{package.name}: environment {env.location} is up to date")
        return env
    if not env.python.exists() or recorded.get("interpreter") != interpreter:
        _create(session, env.location, interpreter)
    stamp_file.unlink(missing_ok=True)
    _install(session, package, env, requirements)
    stamp_file.write_text(json.dumps({"interpreter": interpreter, "stamp": stamp}))
    return env
