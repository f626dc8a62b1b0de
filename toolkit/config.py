"""A repository's test configuration: root ``[tool.toolkit]`` and each package's pyproject.

Standard library only: noxfiles import this through :mod:`toolkit.sessions`, and the
host side must not need anything nox does not bring.

Root ``pyproject.toml``::

    [tool.toolkit]
    packages = ["services/*", "libs/*"]   # globs of folders holding a pyproject.toml
    python = "3.12"                       # or a list; default: the interpreter nox runs on
    fail_under = 80                       # default threshold; a package's own
                                          # [tool.coverage.report] fail_under wins
    isolation_orders = 3                  # random orders tried by the isolation session
    isolation_budget = "10m"              # search time per package (seconds or "90s", "1h")
    isolation_max_sets = 5                # independent polluter sets searched per victim

A package's ``pyproject.toml`` may add ``[tool.toolkit]`` with ``unit`` and
``integration`` (test folders, default ``tests/unit`` and ``tests/integration``) and
``random_order = false`` (an opt-out while it fixes order dependence).
"""

from __future__ import annotations

import glob
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.isolation.budget import (
    DEFAULT_BUDGET,
    DEFAULT_MAX_SETS,
    parse_budget,
    parse_max_sets,
)

__all__ = ["LAYERS", "Package", "RepoConfig", "load_config", "normalize_name"]

LAYERS = ("unit", "integration")
DEFAULT_FAIL_UNDER = 80.0
_ROOT_KEYS = {"packages", "python", "fail_under", "isolation_orders"}
_ROOT_KEYS |= {"isolation_budget", "isolation_max_sets"}
_PACKAGE_KEYS = {"unit", "integration", "random_order"}
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize_name(name: str) -> str:
    """PEP 503 normalisation: how package names are compared everywhere."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Package:
    """One package of the repository, with what its sessions need to know."""

    name: str
    path: Path
    fail_under: float
    threshold_source: str
    test_dirs: dict[str, Path]
    random_order: bool = True
    dependencies: tuple[str, ...] = ()
    workspace_dependencies: tuple[str, ...] = field(default=())
    has_test_group: bool = False
    has_test_extra: bool = False

    def test_dir(self, layer: str) -> Path:
        return self.test_dirs[layer]


@dataclass(frozen=True)
class RepoConfig:
    root: Path
    packages: tuple[Package, ...]
    python: tuple[str, ...] | None
    fail_under: float
    isolation_orders: int
    isolation_budget: float = DEFAULT_BUDGET
    isolation_max_sets: int = DEFAULT_MAX_SETS

    def local_dependencies(self, package: Package) -> list[Package]:
        """Workspace packages ``package`` needs, transitively, dependencies first."""
        ordered: list[Package] = []

        def visit(current: Package, trail: tuple[str, ...]) -> None:
            for name in current.workspace_dependencies:
                if name in trail:
                    continue  # a cycle: installing both from their folders still works
                dependency = self.package(name)
                visit(dependency, (*trail, name))
                if dependency not in ordered:
                    ordered.append(dependency)

        visit(package, (package.name,))
        return ordered

    def package(self, name: str) -> Package:
        wanted = normalize_name(name)
        for package in self.packages:
            if package.name == wanted:
                return package
        known = ", ".join(package.name for package in self.packages)
        raise ToolkitError(f"unknown package {name!r}", f"known packages: {known}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ToolkitError(f"{path} does not exist", "run from the repository root") from None
    except tomllib.TOMLDecodeError as error:
        raise ToolkitError(f"{path} is not valid TOML: {error}", "fix the syntax") from None


def _threshold(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ToolkitError(
            f"{where} = {value!r} is not a coverage threshold",
            "use a number from 0 to 100, e.g. fail_under = 85",
        )
    return float(value)


def _check_keys(table: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ToolkitError(
            f"unknown key {unknown[0]!r} in {where}",
            f"known keys: {', '.join(sorted(known))}",
        )


def _string_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return value
    raise ToolkitError(f"{where} must be a string or a list of strings", f"got {value!r}")


def _requirement_names(requirements: list[Any]) -> tuple[str, ...]:
    names = []
    for requirement in requirements:
        if isinstance(requirement, str):
            match = _REQUIREMENT_NAME.match(requirement)
            if match:
                names.append(normalize_name(match.group(1)))
    return tuple(names)


def _load_package(path: Path, root: Path, default_fail_under: float) -> Package:
    pyproject_path = path / "pyproject.toml"
    data = _read_toml(pyproject_path)
    where = pyproject_path.relative_to(root)
    project = data.get("project", {})
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise ToolkitError(f"{where} has no [project] name", "add one: every package needs a name")
    tool = data.get("tool", {})
    options = tool.get("toolkit", {})
    if not isinstance(options, dict):
        raise ToolkitError(f"[tool.toolkit] in {where} must be a table", "see the README")
    _check_keys(options, _PACKAGE_KEYS, f"[tool.toolkit] of {where}")
    coverage_report = tool.get("coverage", {}).get("report", {})
    if "fail_under" in coverage_report:
        fail_under = _threshold(
            coverage_report["fail_under"], f"[tool.coverage.report] fail_under in {where}"
        )
        source = f"{where} [tool.coverage.report]"
    else:
        fail_under, source = default_fail_under, "default"
    test_dirs = {}
    for layer in LAYERS:
        folder = options.get(layer, f"tests/{layer}")
        if not isinstance(folder, str):
            raise ToolkitError(f"{layer} in [tool.toolkit] of {where} must be a folder path", "")
        test_dirs[layer] = path / folder
    random_order = options.get("random_order", True)
    if not isinstance(random_order, bool):
        raise ToolkitError(
            f"random_order in [tool.toolkit] of {where} must be true or false",
            f"got {random_order!r}",
        )
    return Package(
        name=normalize_name(name),
        path=path,
        fail_under=fail_under,
        threshold_source=source,
        test_dirs=test_dirs,
        random_order=random_order,
        dependencies=_requirement_names(project.get("dependencies", [])),
        has_test_group="test" in data.get("dependency-groups", {}),
        has_test_extra="test" in project.get("optional-dependencies", {}),
    )


def load_config(root: Path | str = ".") -> RepoConfig:
    """Read and validate the repository at ``root``; ToolkitError on any mistake."""
    root = Path(root).resolve()
    data = _read_toml(root / "pyproject.toml")
    options = data.get("tool", {}).get("toolkit")
    if not isinstance(options, dict):
        raise ToolkitError(
            f"{root / 'pyproject.toml'} has no [tool.toolkit] table",
            'add one with the package globs, e.g. packages = ["services/*"]',
        )
    _check_keys(options, _ROOT_KEYS, "[tool.toolkit] of pyproject.toml")
    if "packages" not in options:
        raise ToolkitError(
            "[tool.toolkit] of pyproject.toml has no packages",
            'add the package globs, e.g. packages = ["services/*"]',
        )
    globs = _string_list(options["packages"], "packages in [tool.toolkit]")
    fail_under = _threshold(
        options.get("fail_under", DEFAULT_FAIL_UNDER), "fail_under in [tool.toolkit]"
    )
    python = options.get("python")
    versions = tuple(_string_list(python, "python in [tool.toolkit]")) if python else None
    orders = options.get("isolation_orders", 3)
    if isinstance(orders, bool) or not isinstance(orders, int) or orders < 1:
        raise ToolkitError(
            f"isolation_orders in [tool.toolkit] = {orders!r} is not a positive whole number",
            "use e.g. isolation_orders = 3",
        )

    folders: list[Path] = []
    for pattern in globs:
        matches = sorted(
            Path(match)
            for match in glob.glob(str(root / pattern))
            if Path(match, "pyproject.toml").is_file()
        )
        if not matches:
            raise ToolkitError(
                f"packages glob {pattern!r} in [tool.toolkit] matches no folder with a pyproject.toml",
                "fix the glob or remove it",
            )
        folders.extend(match for match in matches if match not in folders)
    packages = [_load_package(folder, root, fail_under) for folder in folders]
    _check_unique(packages, root)
    names = {package.name for package in packages}
    packages = [_with_workspace_dependencies(package, names) for package in packages]
    return RepoConfig(
        root=root,
        packages=tuple(packages),
        python=versions,
        fail_under=fail_under,
        isolation_orders=orders,
        isolation_budget=parse_budget(options.get("isolation_budget", DEFAULT_BUDGET)),
        isolation_max_sets=parse_max_sets(options.get("isolation_max_sets", DEFAULT_MAX_SETS)),
    )


def _check_unique(packages: list[Package], root: Path) -> None:
    seen: dict[str, Path] = {}
    for package in packages:
        if package.name in seen:
            raise ToolkitError(
                f"two packages are named {package.name!r}: "
                f"{seen[package.name].relative_to(root)} and {package.path.relative_to(root)}",
                "rename one of them",
            )
        seen[package.name] = package.path


def _with_workspace_dependencies(package: Package, names: set[str]) -> Package:
    from dataclasses import replace

    local = tuple(name for name in package.dependencies if name in names and name != package.name)
    return replace(package, workspace_dependencies=local)
