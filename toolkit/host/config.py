"""A repository's test configuration: root ``[tool.toolkit]`` and each package's pyproject.

Standard library only: noxfiles import this through :mod:`toolkit.sessions`, and the
host side must not need anything nox does not bring.

Root ``pyproject.toml``::

    [tool.toolkit]
    packages = ["services/*", "libs/*"]   # globs of package folders: a pyproject.toml,
                                          # or setup.py, setup.cfg, requirements*.txt
    python = "3.12"                       # or a list; default: the interpreter nox runs on
    fail_under = 80                       # default threshold; a package's own coverage
                                          # fail_under wins (.coveragerc, setup.cfg, ...)
    isolation_orders = 3                  # random orders tried by the isolation session
    orders = _positive_int(options, "isolation_orders", 12)
    isolation_budget = "10m"              # search time per package (seconds or "90s", "1h")
    isolation_max_sets = 5                # independent polluter sets searched per victim
    isolation_jobs = 2                    # whole-suite orders run side by side (default:
                                          # 2, or 1 on one CPU); 1 for suites that share
                                          # something fixed (a database name, a path)
    isolation_leaks = "fail"              # confirmed database leaks: "fail", "report", "off"
                                          # (a package's own setting wins)
    isolation_accepted_leaks = []         # leaks known and accepted: fixtures (file::name)
                                          # or tests (node ids), as findings name them

A package's ``pyproject.toml`` may add ``[tool.toolkit]`` with ``unit`` and
``integration`` (test folders, default ``tests/unit`` and ``tests/integration``; a
default folder that does not exist means the layer has no tests, ``false`` says so
explicitly), ``random_order = false`` (an opt-out while it fixes order dependence) and
``setup`` (commands that build the package's template database: migrations, data).

Both levels accept ``[tool.toolkit.env]`` (strings for every session of the package;
the package's win), ``database_url_scheme`` (``postgresql+psycopg`` for an app
that hands ``DATABASE_URL`` straight to SQLAlchemy) and the layer folders (the root's
for every package that names none: a repository whose packages keep their tests in
``tests/`` says ``unit = "tests"`` once) and ``test_groups`` (the PEP 735 dependency
groups a package's environment holds; default its ``test`` group, else its ``test``
extra) and ``requirements`` (requirements files its environment installs; by default,
for a package without a ``[project]`` table, those it has by their usual names).

A package packaged the older way (:mod:`toolkit.host.legacy`) is named by its
``setup.py`` or ``setup.cfg``, else after its folder; a plain ``tests/`` folder (no
layer folders, none named) is its integration layer; its threshold is ``fail_under``
from the coverage settings coverage.py reads (:mod:`toolkit.host.coverage_config`).
"""

from __future__ import annotations

import contextlib
import glob
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit._toml import tomllib
from toolkit.errors import ToolkitError
from toolkit.host import coverage_config, legacy
from toolkit.isolation.budget import (
    DEFAULT_BUDGET,
    DEFAULT_MAX_SETS,
    parse_budget,
    parse_max_sets,
)

__all__ = ["LAYERS", "Package", "RepoConfig", "load_config", "normalize_name", "requirement_name"]

LAYERS = ("unit", "integration")
DEFAULT_FAIL_UNDER = 80.0
DEFAULT_SCHEME = "postgresql"
_SHARED_KEYS = {
    "env",
    "database_url_scheme",
    "test_groups",
    "requirements",
    "isolation_leaks",
    "isolation_accepted_leaks",
    *LAYERS,
}
#: What a confirmed database leak does to the isolation session.
LEAK_POLICIES = ("fail", "report", "off")
_ROOT_KEYS = {
    "packages",
    "python",
    "fail_under",
    "isolation_orders",
    "isolation_budget",
    "isolation_max_sets",
    "isolation_jobs",
    "constraints",
    "postgres",
    *_SHARED_KEYS,
}
_PACKAGE_KEYS = {"random_order", "setup", "python", *_SHARED_KEYS}
_VERSION = re.compile(r"^3\.\d+$")
_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+[a-z0-9_]+)?$")
#: Variables the toolkit sets itself: an env table may not override them.
_RESERVED_ENV = re.compile(r"^(?:DATABASE_URL|PG[A-Z_]*|TOOLKIT_.*)$")
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
    #: Each layer's folder; None when the package has no tests in that layer.
    test_dirs: dict[str, Path | None]
    random_order: bool = True
    #: Layers whose folder was named in [tool.toolkit] (a missing one is a mistake).
    configured_layers: frozenset[str] = frozenset()
    setup: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    database_url_scheme: str = DEFAULT_SCHEME
    #: Its own ``[tool.toolkit] python`` (wins over everything), and ``requires-python``.
    python: str | None = None
    requires_python: str | None = None
    dependencies: tuple[str, ...] = ()
    workspace_dependencies: tuple[str, ...] = field(default=())
    #: The dependency groups its environment holds: ``[tool.toolkit] test_groups``,
    #: else ``test`` when it declares that group.
    test_groups: tuple[str, ...] = ()
    #: Whether its ``test`` extra is installed (no ``test`` group, no test_groups).
    test_extra: bool = False
    #: Every dependency group it declares, to name when none of them is installed.
    dependency_groups: tuple[str, ...] = ()
    #: Whether ``test_groups`` was set for it (its own or the root's), even to none.
    test_groups_set: bool = False
    #: What its confirmed database leaks do: ``fail`` the isolation session, ``report``
    #: them only, or ``off`` (not watched).
    isolation_leaks: str = "fail"
    #: Leaks it accepts, by the fixture (``file::name``) or test (node id) a finding names.
    accepted_leaks: tuple[str, ...] = ()
    #: Whether it is built and installed, as uv decides: ``[tool.uv] package``, else a
    #: ``[build-system]`` or a legacy ``setup.py``/``setup.cfg``. An app that is none
    #: gets its dependencies only, and its tests import it from its folder.
    installable: bool = True
    #: Requirements files its environment installs (``-r``): ``requirements`` in
    #: ``[tool.toolkit]``, else, for a package without a ``[project]`` table, those
    #: of :data:`toolkit.host.legacy.REQUIREMENT_FILES` it has.
    requirements: tuple[Path, ...] = ()
    #: Whether it has a ``pyproject.toml`` (older packages may have none).
    has_pyproject: bool = True
    #: Whether its tests sit in a plain ``tests/`` folder run as the integration layer.
    plain_tests: bool = False
    #: Whether its pyproject has a ``[project]`` table (the toolkit reads its metadata).
    has_project: bool = True
    #: Its coverage configuration, from the file coverage.py reads in its folder.
    coverage: coverage_config.CoverageSettings = field(
        default_factory=coverage_config.CoverageSettings
    )

    def test_dir(self, layer: str) -> Path | None:
        """The layer's folder, or None when the package has no tests in that layer."""
        folder = self.test_dirs[layer]
        if folder is None or (layer not in self.configured_layers and not folder.is_dir()):
            return None
        return folder

    @property
    def layers(self) -> tuple[str, ...]:
        """The layers this package has tests in."""
        return tuple(layer for layer in LAYERS if self.test_dir(layer) is not None)

    @property
    def needs_database(self) -> bool:
        """Whether its sessions need a server: an integration layer or setup commands."""
        return self.test_dir("integration") is not None or bool(self.setup)


@dataclass(frozen=True)
class RepoConfig:
    root: Path
    packages: tuple[Package, ...]
    python: tuple[str, ...] | None
    fail_under: float
    #: Random orders of the isolation session; None: scaled to the suite (the default).
    isolation_orders: int | None
    isolation_budget: float = DEFAULT_BUDGET
    isolation_max_sets: int = DEFAULT_MAX_SETS
    #: Whole-suite orders run at once by the isolation session; None: the default.
    isolation_jobs: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    database_url_scheme: str = DEFAULT_SCHEME
    #: The uv lock every package environment is synced from, when the repository has one.
    lock: Path | None = None
    #: A pip constraints file for every package environment (repositories without a lock).
    constraints: Path | None = None
    #: The PostgreSQL major the repository tests against (``TOOLKIT_POSTGRES_VERSION``).
    postgres: str | None = None

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
    except UnicodeDecodeError:
        raise ToolkitError(
            f"{path} is not UTF-8 text", "save it as UTF-8, as TOML requires"
        ) from None
    except OSError as error:
        raise ToolkitError(
            f"{path} cannot be read: {error.strerror}", "check its permissions"
        ) from None


def _table(data: dict[str, Any], dotted: str, where: object) -> dict[str, Any]:
    """``data``'s table at ``dotted`` (``tool.coverage.report``), {} when absent; a value
    of another type is a mistake named with its place."""
    current: Any = data
    for key in dotted.split("."):
        current = current.get(key, {})
        if not isinstance(current, dict):
            raise ToolkitError(
                f"[{dotted}] in {where} must be a table, not {type(current).__name__}",
                "see the TOML of a pyproject.toml: [tool.toolkit], [project], ...",
            )
    table: dict[str, Any] = current
    return table


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


def _env_table(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ToolkitError(f"{where} must be a table of strings", 'e.g. SECRET_KEY = "test"')
    for key, item in value.items():
        if _RESERVED_ENV.match(key):
            raise ToolkitError(
                f"{where} sets {key}, which the toolkit sets itself",
                "remove it: DATABASE_URL, PG* and TOOLKIT_* name the test database and the run",
            )
        if not isinstance(item, str):
            raise ToolkitError(
                f"{key} in {where} must be a string", f'got {item!r}; quote it: {key} = "{item}"'
            )
    return dict(value)


def _scheme(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _SCHEME.match(value):
        raise ToolkitError(
            f"{where} = {value!r} is not a PostgreSQL URL scheme",
            'use e.g. "postgresql", "postgresql+psycopg" or "postgresql+asyncpg"',
        )
    return value


def _shared_options(options: dict[str, Any], where: str) -> dict[str, Any]:
    """The keys a root and a package table both accept, validated."""
    shared: dict[str, Any] = {}
    if "env" in options:
        shared["env"] = _env_table(options["env"], f"[tool.toolkit.env] of {where}")
    if "database_url_scheme" in options:
        shared["database_url_scheme"] = _scheme(
            options["database_url_scheme"], f"database_url_scheme in [tool.toolkit] of {where}"
        )
    for layer in LAYERS:
        if layer in options:
            shared[layer] = _layer_value(options[layer], layer, where)
    if "test_groups" in options:
        shared["test_groups"] = _group_names(options["test_groups"], where)
    if "requirements" in options:
        shared["requirements"] = _file_names(options["requirements"], where)
    if "isolation_leaks" in options:
        shared["isolation_leaks"] = _leak_policy(options["isolation_leaks"], where)
    if "isolation_accepted_leaks" in options:
        shared["accepted_leaks"] = _accepted_leaks(options["isolation_accepted_leaks"], where)
    return shared


def _file_names(value: Any, where: str) -> tuple[tuple[str, ...], str]:
    """``requirements`` as written, with where it was written."""
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return tuple(value), where
    raise ToolkitError(
        f"requirements in [tool.toolkit] of {where} must be a list of requirements files",
        f'got {value!r}; e.g. requirements = ["requirements.txt", "requirements/ci.txt"]',
    )


def _leak_policy(value: Any, where: str) -> str:
    if value not in LEAK_POLICIES:
        raise ToolkitError(
            f"isolation_leaks in [tool.toolkit] of {where} = {value!r} is not a leak policy",
            'use "fail" (the default), "report" (listed, the session passes) or "off"',
        )
    return str(value)


def _accepted_leaks(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(item, str) and "::" in item for item in value):
        return tuple(value)
    raise ToolkitError(
        f"isolation_accepted_leaks in [tool.toolkit] of {where} must be a list of the "
        f"fixtures (file::name) or tests (node ids) whose leaks are known, got {value!r}",
        'e.g. isolation_accepted_leaks = ["tests/conftest.py::seeded_users"], as a '
        "finding names it in reports/isolation.json",
    )


def _group_names(value: Any, where: str) -> tuple[tuple[str, ...], str]:
    """``test_groups`` as written, with where it was written (its groups are checked
    against each package's own)."""
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return tuple(value), where
    raise ToolkitError(
        f"test_groups in [tool.toolkit] of {where} must be a list of dependency group names",
        f'got {value!r}; e.g. test_groups = ["testing"]',
    )


def _layer_value(folder: Any, layer: str, where: str) -> str | bool:
    if folder is False or (isinstance(folder, str) and folder):
        return folder
    raise ToolkitError(
        f"{layer} in [tool.toolkit] of {where} = {folder!r} is not a folder",
        f'name the folder ({layer} = "tests") or declare the layer absent ({layer} = false)',
    )


def _layer_folder(
    shared: dict[str, Any], defaults: dict[str, Any], layer: str, path: Path
) -> Path | None:
    """The package's own setting, else the root's (for every package), else the default."""
    folder = shared.get(layer, defaults.get(layer, f"tests/{layer}"))
    if folder is False:
        return None
    located: Path = path / folder
    _require_inside(
        located,
        path,
        f"the {layer} folder {folder!r} of the package in {path}",
        "the package",
        f'name a folder inside the package, e.g. {layer} = "tests/{layer}"',
    )
    return located


def _require_inside(path: Path, folder: Path, what: str, outside: str, fix: str) -> None:
    """Refuse ``path`` unless it lies inside ``folder`` once symlinks and ``..`` are
    resolved: the sessions run code from it, and only the repository's is meant."""
    resolved = path.resolve()
    if not resolved.is_relative_to(folder.resolve()):
        raise ToolkitError(f"{what} is {resolved}, outside {outside}", fix)


def _version(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _VERSION.match(value):
        raise ToolkitError(f"{where} = {value!r} is not a Python version", 'use e.g. "3.11"')
    return value


def _setup_commands(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ToolkitError(
            f"setup in [tool.toolkit] of {where} must be a list of commands",
            'e.g. setup = ["alembic upgrade head", "python -m app.initial_data"]',
        )
    return tuple(value)


def _list(value: Any, where: object) -> list[Any]:
    if not isinstance(value, list):
        raise ToolkitError(
            f"[project] dependencies in {where} must be a list", 'e.g. dependencies = ["httpx"]'
        )
    return value


def requirement_name(requirement: str) -> str | None:
    """The normalised name a PEP 508 requirement starts with (None if it has none)."""
    match = _REQUIREMENT_NAME.match(requirement)
    return normalize_name(match.group(1)) if match else None


def _requirement_names(requirements: list[Any]) -> tuple[str, ...]:
    names = (requirement_name(item) for item in requirements if isinstance(item, str))
    return tuple(name for name in names if name)


def _package_name(project: dict[str, Any], path: Path, where: object, has_pyproject: bool) -> str:
    """``[project] name``; for a package packaged the older way (no ``[project]``
    table), the name its ``setup.py`` or ``setup.cfg`` gives, else its folder's."""
    name = project.get("name")
    if isinstance(name, str) and name:
        return name
    if project or (has_pyproject and not legacy.has_legacy_files(path)):
        raise ToolkitError(f"{where} has no [project] name", "add one: every package needs a name")
    return legacy.metadata(path).get("name") or path.name


def _coverage_threshold(
    settings: coverage_config.CoverageSettings, path: Path, root: Path, default: float
) -> tuple[float, str]:
    """``fail_under`` from the coverage settings coverage.py reads for the package,
    with where it was written; else the default."""
    if settings.fail_under is None or settings.file is None:
        return default, "default"
    written = (path / settings.file).relative_to(root) if path != root else Path(settings.file)
    section = "[tool.coverage.report]" if settings.file == "pyproject.toml" else "[coverage:report]"
    if settings.file in (".coveragerc", ".coveragerc.toml"):
        section = "[report]"
    value = settings.fail_under
    if isinstance(value, str) and not settings.file.endswith(".toml"):
        with contextlib.suppress(ValueError):  # ini text, which coverage reads as a number
            value = float(value)
    return _threshold(value, f"{section} fail_under in {written}"), f"{written} {section}"


def _plain_tests(path: Path, shared: dict[str, Any], defaults: dict[str, Any]) -> bool:
    """Whether the package keeps its tests in a plain ``tests/`` folder that no setting
    places: no layer folder named anywhere (``unit = false`` alone still leaves it to
    the integration layer), no ``tests/unit`` nor ``tests/integration``, and test files
    in ``tests/``."""
    tests = path / "tests"
    settings = {layer: shared.get(layer, defaults.get(layer)) for layer in LAYERS}
    if any(isinstance(value, str) for value in settings.values()) or not tests.is_dir():
        return False  # a layer folder is named: the package says where its tests are
    if settings["integration"] is False:
        return False
    if any((tests / layer).is_dir() for layer in LAYERS):
        return False
    return any(next(tests.rglob(pattern), None) for pattern in ("test_*.py", "*_test.py"))


def _requirement_files(
    path: Path, root: Path, chosen: tuple[tuple[str, ...], str] | None, has_project: bool
) -> tuple[Path, ...]:
    """The requirements files the package's environment installs: those named, else
    (for a package without a ``[project]`` table) those it has by their usual names."""
    if chosen is None:
        return () if has_project else legacy.requirement_files(path)
    names, written = chosen
    files = tuple(path / name for name in names)
    for file in files:
        if not file.is_file():
            raise ToolkitError(
                f"requirements in [tool.toolkit] of {written} names {file.relative_to(root)}, "
                "which does not exist",
                "name requirements files relative to the package's folder",
            )
    return files


def _load_package(
    path: Path, root: Path, default_fail_under: float, defaults: dict[str, Any]
) -> Package:
    pyproject_path = path / "pyproject.toml"
    has_pyproject = pyproject_path.is_file()
    data = _read_toml(pyproject_path) if has_pyproject else {}
    where = pyproject_path.relative_to(root) if has_pyproject else path.relative_to(root)
    project = _table(data, "project", where)
    name = _package_name(project, path, where, has_pyproject)
    options = _table(data, "tool.toolkit", where)
    known = _PACKAGE_KEYS | _ROOT_KEYS if path == root else _PACKAGE_KEYS
    _check_keys(options, known, f"[tool.toolkit] of {where}")
    _table(data, "tool.coverage.report", where)  # a mistyped table is named here
    coverage = coverage_config.read(path)
    fail_under, source = _coverage_threshold(coverage, path, root, default_fail_under)
    shared = _shared_options(options, str(where))
    test_dirs = {layer: _layer_folder(shared, defaults, layer, path) for layer in LAYERS}
    plain_tests = _plain_tests(path, shared, defaults)
    if plain_tests:
        test_dirs["integration"] = path / "tests"
    requirements = _requirement_files(
        path, root, shared.get("requirements", defaults.get("requirements")), bool(project)
    )
    older = legacy.metadata(path) if not project else {}
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
        configured_layers=frozenset(
            layer for layer in LAYERS if isinstance(options.get(layer), str)
        ),
        setup=_setup_commands(options["setup"], str(where)) if "setup" in options else (),
        env={**defaults.get("env", {}), **shared.get("env", {})},
        database_url_scheme=shared.get(
            "database_url_scheme", defaults.get("database_url_scheme", DEFAULT_SCHEME)
        ),
        python=(
            _version(options["python"], f"python in [tool.toolkit] of {where}")
            if "python" in options
            else None
        ),
        requires_python=(
            project["requires-python"]
            if isinstance(project.get("requires-python"), str)
            else older.get("python_requires")
        ),
        dependencies=_requirement_names(
            _list(project.get("dependencies", []), where)
            if project
            else list(legacy.requirement_names(requirements))
        ),
        installable=_installable(data, path, where, has_pyproject),
        requirements=requirements,
        has_pyproject=has_pyproject,
        has_project=bool(project),
        plain_tests=plain_tests,
        coverage=coverage,
        isolation_leaks=shared.get("isolation_leaks", defaults.get("isolation_leaks", "fail")),
        accepted_leaks=shared.get("accepted_leaks", defaults.get("accepted_leaks", ())),
        **_test_dependencies(data, shared, defaults, where),
    )


def _test_dependencies(
    data: dict[str, Any], shared: dict[str, Any], defaults: dict[str, Any], where: object
) -> dict[str, Any]:
    """Which of its dependency groups (or its ``test`` extra) the package's environment
    holds: ``test_groups`` (its own, else the root's), else ``test``."""
    groups = tuple(_table(data, "dependency-groups", where))
    has_extra = "test" in _table(data, "project.optional-dependencies", where)
    chosen = shared.get("test_groups", defaults.get("test_groups"))
    if chosen is None:
        test = ("test",) if "test" in groups else ()
        return {
            "test_groups": test,
            "test_extra": has_extra and not test,
            "dependency_groups": groups,
        }
    names, written = chosen
    unknown = [name for name in names if name not in groups]
    if unknown:
        raise ToolkitError(
            f"test_groups in [tool.toolkit] of {written} names {unknown[0]!r}, "
            f"which is not a dependency group of {where}",
            f"name some of its [dependency-groups]: {', '.join(groups)}"
            if groups
            else "it has no [dependency-groups]: declare the group there",
        )
    return {
        "test_groups": names,
        "dependency_groups": groups,
        "test_groups_set": True,
    }


def _installable(data: dict[str, Any], path: Path, where: object, has_pyproject: bool) -> bool:
    """Whether the project is built and installed, by uv's rule: ``[tool.uv] package``
    when set, else whether it has a ``[build-system]``; a legacy ``setup.py``, or a
    ``setup.cfg`` declaring a package (``[metadata]``, ``[options]``), without one still
    is (pip builds it with setuptools). A ``setup.cfg`` holding only tool settings
    (``[flake8]``, ``[tool:pytest]``) declares nothing; without a pyproject.toml only a
    ``setup.py`` makes a folder buildable (pip and uv build no other such folder)."""
    if not has_pyproject:
        return (path / "setup.py").is_file()
    package = _table(data, "tool.uv", where).get("package")
    if isinstance(package, bool):
        return package
    return (
        bool(_table(data, "build-system", where))
        or (path / "setup.py").is_file()
        or legacy.setup_cfg_declares_package(path)
    )


def load_config(root: Path | str = ".") -> RepoConfig:
    """Read and validate the repository at ``root``; ToolkitError on any mistake."""
    root = Path(root).resolve()
    data = _read_toml(root / "pyproject.toml")
    options = _table(data, "tool.toolkit", "pyproject.toml")
    # A root that is also a package (a one-package repository) holds both kinds.
    _check_keys(options, _ROOT_KEYS | _PACKAGE_KEYS, "[tool.toolkit] of pyproject.toml")
    workspace = _table(data, "tool.uv", "pyproject.toml").get("workspace")
    root_is_project = bool(_table(data, "project", "pyproject.toml"))
    globs, excluded = _package_globs(options, workspace, root, root_is_project)
    fail_under = _threshold(
        options.get("fail_under", DEFAULT_FAIL_UNDER), "fail_under in [tool.toolkit]"
    )
    python = options.get("python")
    versions = (
        tuple(
            _version(version, "python in [tool.toolkit]")
            for version in _string_list(python, "python in [tool.toolkit]")
        )
        if "python" in options
        else None
    )
    orders = _positive_int(options, "isolation_orders", 12)
    jobs = _positive_int(options, "isolation_jobs", 1)

    folders: list[Path] = []
    for pattern, where in globs:
        matches = sorted(
            Path(match)
            for match in glob.glob(str(root / pattern))
            if _is_package_folder(Path(match)) and Path(match) not in excluded
        )
        if not matches:
            raise ToolkitError(
                f"{where} glob {pattern!r} matches no folder with a pyproject.toml, "
                "setup.py, setup.cfg or requirements*.txt",
                "fix the glob or remove it",
            )
        for match in matches:
            _require_inside(
                match,
                root,
                f"{where}: {pattern!r} matches {match}, which",
                f"the repository {root}",
                "name package folders inside the repository, relative to its root",
            )
        folders.extend(match for match in matches if match not in folders)
    misplaced = sorted(set(options) & (_PACKAGE_KEYS - _ROOT_KEYS - _SHARED_KEYS))
    if misplaced and root not in folders:
        raise ToolkitError(
            f"{misplaced[0]} in [tool.toolkit] of pyproject.toml is a package's setting "
            "and the root is not one of the packages",
            "move it to the [tool.toolkit] of the package's own pyproject.toml",
        )
    defaults = _shared_options(options, "pyproject.toml")
    packages = [_load_package(folder, root, fail_under, defaults) for folder in folders]
    _check_unique(packages, root)
    names = {package.name for package in packages}
    packages = [_with_workspace_dependencies(package, names) for package in packages]
    return RepoConfig(
        root=root,
        packages=tuple(packages),
        python=versions,
        fail_under=fail_under,
        isolation_orders=orders,
        isolation_jobs=jobs,
        isolation_budget=parse_budget(options.get("isolation_budget", DEFAULT_BUDGET)),
        isolation_max_sets=parse_max_sets(options.get("isolation_max_sets", DEFAULT_MAX_SETS)),
        env=defaults.get("env", {}),
        database_url_scheme=defaults.get("database_url_scheme", DEFAULT_SCHEME),
        lock=_lock(root, workspace, folders),
        constraints=_constraints(options, root),
        postgres=_postgres_major(options.get("postgres")),
    )


def _is_package_folder(folder: Path) -> bool:
    """A folder with a pyproject.toml, or packaged the older way (setup.py, setup.cfg,
    requirements*.txt)."""
    return (folder / "pyproject.toml").is_file() or (
        folder.is_dir() and legacy.has_legacy_files(folder)
    )


def _positive_int(options: dict[str, Any], key: str, example: int) -> int | None:
    """The root setting ``key`` when it is given (None otherwise), checked."""
    if key not in options:
        return None
    value = options[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ToolkitError(
            f"{key} in [tool.toolkit] = {value!r} is not a positive whole number",
            f"use e.g. {key} = {example}",
        )
    return value


def _package_globs(
    options: dict[str, Any], workspace: Any, root: Path, root_is_project: bool
) -> tuple[list[tuple[str, str]], set[Path]]:
    """The package globs, each with where it was written, and the folders excluded.

    ``[tool.toolkit] packages`` wins; without it, a uv workspace's ``members`` (minus
    its ``exclude``) are the packages; without either, a root with a ``[project]`` (or
    packaged the older way: setup.py, setup.cfg, requirements*.txt) is the
    repository's one package.
    """
    if "packages" in options:
        where = "packages in [tool.toolkit]"
        return [(pattern, where) for pattern in _string_list(options["packages"], where)], set()
    if isinstance(workspace, dict) and "members" in workspace:
        where = "members in [tool.uv.workspace]"
        members = _string_list(workspace["members"], where)
        exclude = workspace.get("exclude") or []
        exclude = _string_list(exclude, "exclude in [tool.uv.workspace]") if exclude else []
        excluded = {Path(match) for pattern in exclude for match in glob.glob(str(root / pattern))}
        return [(pattern, where) for pattern in members], excluded
    if root_is_project:
        return [(".", "the root's [project] (no packages named)")], set()
    if legacy.has_legacy_files(root):  # one package, packaged the older way
        return [(".", "the root's setup.py, setup.cfg or requirements (no packages named)")], set()
    raise ToolkitError(
        "pyproject.toml names no packages and has no [project] table",
        'for a monorepo add [tool.toolkit] packages = ["services/*"] (or [tool.uv.workspace] '
        "members); if the repository is one package, add [project] with its name and version "
        "(a setup.py or requirements.txt beside the pyproject.toml also makes it one)",
    )


def _lock(root: Path, workspace: Any, folders: list[Path]) -> Path | None:
    """The root's ``uv.lock`` when it pins the packages: a workspace's members, or the
    root project of a one-package repository (uv locks it alone)."""
    lock = root / "uv.lock"
    if not lock.is_file():
        return None
    return lock if workspace or folders == [root] else None


def _postgres_major(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not text.isdigit() or not 10 <= int(text) <= 99:
        raise ToolkitError(
            f"postgres in [tool.toolkit] = {value!r} is not a PostgreSQL major version",
            'use e.g. postgres = "16"',
        )
    return text


def _constraints(options: dict[str, Any], root: Path) -> Path | None:
    if "constraints" not in options:
        return None
    value = options["constraints"]
    path = root / value if isinstance(value, str) else None
    if path is None or not path.is_file():
        raise ToolkitError(
            f"constraints in [tool.toolkit] = {value!r} is not a file of this repository",
            'name a pip constraints file, e.g. constraints = "constraints.txt"',
        )
    return path


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
