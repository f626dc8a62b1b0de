"""Which Python each package's environment runs on.

Monorepos carry services on older interpreters: a package's own ``[tool.toolkit]
python`` wins, else the newest installed interpreter its ``requires-python`` admits,
else the root ``[tool.toolkit] python``, else the one running nox. A root list of
several versions is a matrix: every package runs on each version it admits.

Interpreters are found the way uv finds them (``uv python list --only-installed``),
plus every ``python3.N`` on ``PATH`` and the one running nox; each must start.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from toolkit.errors import ToolkitError
from toolkit.host.config import Package, RepoConfig

__all__ = ["Interpreter", "choose", "installed", "versions_for"]

_PYTHON_NAME = re.compile(r"^python3(\.\d+)?$")
_PROBE = "import sys, platform; print(platform.python_implementation(), *sys.version_info[:3])"


@dataclass(frozen=True, order=True)
class Interpreter:
    version: tuple[int, int, int]
    path: str

    @property
    def minor(self) -> str:
        """``3.11``: what environments are named after and versions are matched by."""
        return f"{self.version[0]}.{self.version[1]}"


def _probe(path: str) -> Interpreter | None:
    try:
        result = subprocess.run(
            [path, "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = result.stdout.split()
    if result.returncode != 0 or len(parts) != 4 or parts[0] != "CPython":
        return None
    return Interpreter((int(parts[1]), int(parts[2]), int(parts[3])), path)


def _uv_paths(uv: str | None) -> list[str]:
    if uv is None:
        return []
    result = subprocess.run(
        [uv, "python", "list", "--only-installed", "--output-format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return [entry["path"] for entry in json.loads(result.stdout) if entry.get("path")]
    except (ValueError, TypeError, KeyError):
        return []


def _path_pythons() -> list[str]:
    found = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        found += [os.path.join(folder, name) for name in names if _PYTHON_NAME.match(name)]
    return found


@functools.cache
def installed(uv: str | None) -> tuple[Interpreter, ...]:
    """Every working CPython on this machine that uv or ``PATH`` knows, newest first."""
    seen: dict[str, Interpreter] = {}
    for path in [sys.executable, *_uv_paths(uv), *_path_pythons()]:
        real = os.path.realpath(path)
        if real in seen or not shutil.which(path):
            continue
        interpreter = _probe(path)
        if interpreter is not None:
            seen[real] = interpreter
    # Newest first; among equals, the one running nox.
    ranked = sorted(
        seen.values(), key=lambda i: (i.version, i.path == sys.executable), reverse=True
    )
    return tuple(ranked)


def _admits(requires: str | None, where: str) -> SpecifierSet | None:
    if not requires:
        return None
    try:
        return SpecifierSet(requires)
    except InvalidSpecifier:
        raise ToolkitError(
            f"requires-python = {requires!r} in {where} is not a version specifier",
            'use e.g. requires-python = ">=3.10"',
        ) from None


def versions_for(config: RepoConfig, package: Package) -> tuple[str | None, ...]:
    """The versions a package's sessions are parametrized by: the root matrix (the ones
    its ``requires-python`` admits), else one version decided when a session runs."""
    if package.python:
        return (package.python,)
    if config.python is None or len(config.python) < 2:
        return (None,)
    admits = _admits(package.requires_python, f"{package.path.name}/pyproject.toml")
    chosen = tuple(
        version for version in config.python if admits is None or admits.contains(f"{version}.0")
    )
    return chosen or (None,)


def _found(interpreters: tuple[Interpreter, ...]) -> str:
    listed = ", ".join(f"{i.minor} ({i.path})" for i in interpreters)
    return f"found: {listed}" if listed else "found none"


def choose(
    config: RepoConfig, package: Package, version: str | None, uv: str | None
) -> Interpreter:
    """The interpreter for ``package``: ``version`` when the session names one (package
    setting or matrix), else the newest its requires-python admits, else the root's."""
    interpreters = installed(uv)
    where = f"{package.path.relative_to(config.root)}/pyproject.toml"
    if version:
        for interpreter in interpreters:
            if interpreter.minor == version:
                return interpreter
        source = "its [tool.toolkit] python" if package.python else "[tool.toolkit] python"
        raise ToolkitError(
            f"{package.name} needs Python {version} ({source}) and it is not installed",
            f"install it (uv python install {version}) or put python{version} on PATH; "
            + _found(interpreters),
        )
    admits = _admits(package.requires_python, where)
    if admits is not None:
        for interpreter in interpreters:
            if admits.contains(".".join(map(str, interpreter.version))):
                return interpreter
        if not config.python:
            raise ToolkitError(
                f"no installed Python satisfies {package.name}'s requires-python "
                f"{package.requires_python!r}",
                "install one (uv python install ...) or set [tool.toolkit] python in "
                f"{where}; " + _found(interpreters),
            )
    if config.python:
        return choose(config, package, config.python[0], uv)
    current = _probe(sys.executable)
    assert current is not None  # nox itself runs on it
    return current
