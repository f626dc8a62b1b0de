"""Reading [tool.toolkit] and the packages' pyprojects, with every mistake named."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.host.config import load_config, normalize_name


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))
    return root


def _package(name: str, extra: str = "") -> str:
    return f'[project]\nname = "{name}"\nversion = "1"\n{extra}\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["libs/*", "apps/*"]\nfail_under = 70\n',
            "libs/core/pyproject.toml": _package(
                "Core_Lib", "[tool.coverage.report]\nfail_under = 95"
            ),
            "apps/api/pyproject.toml": _package(
                "api",
                'dependencies = ["core-lib>=1", "httpx"]\n'
                '[dependency-groups]\ntest = ["pytest"]\n'
                '[tool.toolkit]\nunit = "checks/fast"\nrandom_order = false',
            ),
            "apps/web/pyproject.toml": _package("web", 'dependencies = ["api"]'),
            "apps/notes.txt": "not a package",
        },
    )


def test_packages_come_from_globs_in_order(repo: Path) -> None:
    config = load_config(repo)

    assert [package.name for package in config.packages] == ["core-lib", "api", "web"]


def test_threshold_comes_from_package_then_root(repo: Path) -> None:
    config = load_config(repo)

    assert config.package("core-lib").fail_under == 95
    assert (
        config.package("core-lib").threshold_source
        == "libs/core/pyproject.toml [tool.coverage.report]"
    )
    assert config.package("web").fail_under == 70
    assert config.package("web").threshold_source == "default"


def test_threshold_defaults_to_80(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"pyproject.toml": '[tool.toolkit]\npackages = ["p"]\n', "p/pyproject.toml": _package("p")},
    )

    assert load_config(tmp_path).package("p").fail_under == 80


def test_package_options_override_test_folders_and_order(repo: Path) -> None:
    api = load_config(repo).package("api")

    assert api.test_dir("unit") == repo / "apps" / "api" / "checks" / "fast"
    assert api.test_dirs["integration"] == repo / "apps" / "api" / "tests" / "integration"
    assert api.random_order is False
    assert api.test_groups == ("test",)


def test_workspace_dependencies_are_transitive_and_ordered(repo: Path) -> None:
    config = load_config(repo)

    assert config.package("api").workspace_dependencies == ("core-lib",)
    assert [package.name for package in config.local_dependencies(config.package("web"))] == [
        "core-lib",
        "api",
    ]


def test_names_are_compared_normalized() -> None:
    assert normalize_name("Core_Lib.Extra") == "core-lib-extra"


@pytest.mark.parametrize(
    ("root_toml", "fragment"),
    [
        pytest.param("[tool.ruff]\nline-length = 99\n", "names no packages", id="no-table"),
        pytest.param(
            '[tool.toolkit]\npackages = ["p"]\nsetup = ["make db"]\n',
            "setup in [tool.toolkit] of pyproject.toml is a package's setting",
            id="package-setting-at-a-root-that-is-no-package",
        ),
        pytest.param(
            "[tool.toolkit]\nfail_under = 80\n",
            "if the repository is one package, add [project]",
            id="no-packages",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = ["p"]\nconstraints = "nope.txt"\n',
            "constraints in [tool.toolkit] = 'nope.txt' is not a file",
            id="constraints-missing",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = ["nope/*"]\n', "matches no folder", id="empty-glob"
        ),
        pytest.param(
            "[tool.toolkit]\npackages = []\n", "must be a string or a list", id="empty-list"
        ),
        pytest.param(
            '[tool.toolkit]\npackages = ["p"]\nfail_under = 101\n',
            "101 is not a coverage threshold",
            id="threshold-too-high",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = ["p"]\nfail_under = -1\n',
            "-1 is not a coverage threshold",
            id="threshold-negative",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = ["p"]\nfail_under = "80"\n',
            "'80' is not a coverage threshold",
            id="threshold-string",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = ["p"]\nfail_under = true\n',
            "True is not a coverage threshold",
            id="threshold-bool",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = ["p"]\nfail_undr = 80\n',
            "unknown key 'fail_undr'",
            id="typo",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = ["p"]\nisolation_orders = 0\n',
            "not a positive whole number",
            id="orders",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = ["p"]\nisolation_jobs = "2"\n',
            "isolation_jobs in [tool.toolkit] = '2' is not a positive whole number",
            id="jobs",
        ),
        pytest.param("[tool.toolkit\n", "is not valid TOML", id="bad-toml"),
    ],
)
def test_root_mistakes_are_named(tmp_path: Path, root_toml: str, fragment: str) -> None:
    _write(tmp_path, {"pyproject.toml": root_toml, "p/pyproject.toml": _package("p")})

    with pytest.raises(ToolkitError) as caught:
        load_config(tmp_path)

    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("package_toml", "fragment"),
    [
        pytest.param("[project]\nversion = '1'\n", "has no [project] name", id="no-name"),
        pytest.param(
            _package("p", "[tool.coverage.report]\nfail_under = 'high'"),
            "[tool.coverage.report] fail_under in p/pyproject.toml = 'high'",
            id="package-threshold",
        ),
        pytest.param(
            _package("p", "[tool.toolkit]\nrandom_order = 'no'"),
            "random_order in [tool.toolkit] of p/pyproject.toml must be true or false",
            id="random-order",
        ),
        pytest.param(
            _package("p", "[tool.toolkit]\nunits = 'x'"), "unknown key 'units'", id="package-typo"
        ),
    ],
)
def test_package_mistakes_name_the_file(tmp_path: Path, package_toml: str, fragment: str) -> None:
    _write(
        tmp_path,
        {"pyproject.toml": '[tool.toolkit]\npackages = ["p"]\n', "p/pyproject.toml": package_toml},
    )

    with pytest.raises(ToolkitError, match=".") as caught:
        load_config(tmp_path)

    assert fragment in str(caught.value)


def test_two_packages_with_one_name_are_refused(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["a", "b"]\n',
            "a/pyproject.toml": _package("same"),
            "b/pyproject.toml": _package("Same"),
        },
    )

    with pytest.raises(ToolkitError, match="two packages are named 'same': a and b"):
        load_config(tmp_path)


def test_unknown_package_lists_the_known_ones(repo: Path) -> None:
    with pytest.raises(ToolkitError, match="unknown package 'nope'.*core-lib, api, web"):
        load_config(repo).package("nope")


def _repo(tmp_path: Path, root: str, package: str, files: dict[str, str] | None = None) -> Path:
    return _write(
        tmp_path,
        {
            "pyproject.toml": f'[tool.toolkit]\npackages = ["p"]\n{root}',
            "p/pyproject.toml": _package("p", package),
            **(files or {}),
        },
    )


def test_layers_are_the_folders_that_exist(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "", "", {"p/tests/integration/test_x.py": ""})

    package = load_config(repo).package("p")

    assert package.layers == ("integration",)
    assert package.test_dir("unit") is None
    assert package.needs_database


def test_a_layer_declared_false_is_absent_even_if_its_folder_exists(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        "",
        '[tool.toolkit]\nunit = false\nintegration = "tests"',
        {"p/tests/unit/test_x.py": ""},
    )

    package = load_config(repo).package("p")

    assert package.layers == ("integration",)
    assert package.test_dir("integration") == repo / "p" / "tests"


def test_a_configured_folder_that_is_missing_stays_a_layer(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "", '[tool.toolkit]\nunit = "checks"')

    package = load_config(repo).package("p")

    assert package.test_dir("unit") == repo / "p" / "checks"
    assert not package.needs_database


def test_the_roots_layer_folders_apply_to_every_package_without_its_own(tmp_path: Path) -> None:
    """Packages that keep their tests in ``tests/`` adopt with one root line."""
    repo = _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["a", "b"]\nunit = "tests"\n'
            "integration = false\n",
            "a/pyproject.toml": _package("a"),
            "a/tests/test_a.py": "",
            "b/pyproject.toml": _package("b", '[tool.toolkit]\nintegration = "db_tests"'),
            "b/db_tests/test_b.py": "",
        },
    )

    config = load_config(repo)

    assert config.package("a").layers == ("unit",)
    assert config.package("b").test_dir("integration") == repo / "b" / "db_tests"
    assert config.package("b").layers == ("integration",)  # no tests/ of its own


def test_a_root_layer_that_is_not_a_folder_names_the_root(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "unit = 3\n", "")

    with pytest.raises(ToolkitError, match=r"unit in \[tool.toolkit\] of pyproject.toml = 3"):
        load_config(repo)


def test_a_root_with_a_project_and_no_packages_is_the_one_package(tmp_path: Path) -> None:
    """A one-package repository adopts with its own pyproject, root and package keys in
    one table."""
    _write(
        tmp_path,
        {
            "pyproject.toml": _package(
                "solo", '[tool.toolkit]\nfail_under = 70\nunit = "tests"\nrandom_order = false'
            ),
            "tests/test_solo.py": "",
        },
    )

    config = load_config(tmp_path)

    (package,) = config.packages
    assert (package.name, package.path) == ("solo", tmp_path.resolve())
    assert package.layers == ("unit",) and not package.random_order
    assert package.fail_under == 70


def test_env_merges_root_and_package_with_the_package_winning(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        '[tool.toolkit.env]\nSECRET_KEY = "root"\nLOG_LEVEL = "info"\n',
        '[tool.toolkit.env]\nSECRET_KEY = "package"',
    )

    assert load_config(repo).package("p").env == {"SECRET_KEY": "package", "LOG_LEVEL": "info"}


def test_setup_and_scheme_are_read_from_the_package_then_the_root(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        'database_url_scheme = "postgresql+asyncpg"\n',
        '[tool.toolkit]\nsetup = ["alembic upgrade head", "python -m app.initial_data"]',
    )

    package = load_config(repo).package("p")

    assert package.setup == ("alembic upgrade head", "python -m app.initial_data")
    assert package.database_url_scheme == "postgresql+asyncpg"
    assert package.needs_database


@pytest.mark.parametrize(
    ("root", "package", "message"),
    [
        pytest.param(
            '[tool.toolkit.env]\nDATABASE_URL = "x"\n',
            "",
            "sets DATABASE_URL, which the toolkit sets itself",
            id="database-url-in-root-env",
        ),
        pytest.param(
            "",
            '[tool.toolkit.env]\nPGHOST = "x"',
            "sets PGHOST, which the toolkit sets itself",
            id="pg-variable-in-package-env",
        ),
        pytest.param(
            "",
            '[tool.toolkit.env]\nTOOLKIT_SEED = "1"',
            "sets TOOLKIT_SEED",
            id="toolkit-variable",
        ),
        pytest.param(
            "",
            "[tool.toolkit.env]\nWORKERS = 4",
            "WORKERS in [tool.toolkit.env]",
            id="not-a-string",
        ),
        pytest.param("", '[tool.toolkit]\nenv = "x"', "must be a table", id="env-not-a-table"),
        pytest.param(
            'database_url_scheme = "mysql"\n', "", "not a PostgreSQL URL scheme", id="bad-scheme"
        ),
        pytest.param(
            "", '[tool.toolkit]\nsetup = "alembic upgrade head"', "list of commands", id="setup-str"
        ),
        pytest.param("", "[tool.toolkit]\nunit = true", "is not a folder", id="layer-true"),
    ],
)
def test_config_mistakes_name_the_key(
    tmp_path: Path, root: str, package: str, message: str
) -> None:
    repo = _repo(tmp_path, root, package)

    with pytest.raises(ToolkitError, match=re.escape(message)):
        load_config(repo)


def test_uv_workspace_members_are_the_packages_without_toolkit_packages(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/scratch"]\n'
            ),
            "packages/a/pyproject.toml": _package("a"),
            "packages/b/pyproject.toml": _package("b", 'requires-python = ">=3.10,<3.12"'),
            "packages/scratch/pyproject.toml": _package("scratch"),
            "uv.lock": "version = 1\n",
        },
    )

    config = load_config(tmp_path)

    assert [package.name for package in config.packages] == ["a", "b"]
    assert config.lock == tmp_path / "uv.lock"
    assert config.package("b").requires_python == ">=3.10,<3.12"


def test_toolkit_packages_win_over_workspace_members(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.toolkit]\npackages = ["packages/a"]\n'
                '[tool.uv.workspace]\nmembers = ["packages/*"]\n'
            ),
            "packages/a/pyproject.toml": _package("a", '[tool.toolkit]\npython = "3.11"'),
            "packages/b/pyproject.toml": _package("b"),
        },
    )

    config = load_config(tmp_path)

    assert [package.name for package in config.packages] == ["a"]
    assert config.package("a").python == "3.11"
    assert config.lock is None


@pytest.mark.parametrize(
    ("package_toml", "fragment"),
    [
        pytest.param(
            'tool = "x"\n[project]\nname = "p"\n',
            "[tool.toolkit] in p/pyproject.toml must be a table, not str",
            id="tool-str",
        ),
        pytest.param(
            '[project]\nname = "p"\n[tool]\ncoverage = 3\n',
            "[tool.coverage.report] in p/pyproject.toml must be a table, not int",
            id="coverage-int",
        ),
        pytest.param(
            'project = ["p"]\n', "[project] in p/pyproject.toml must be a table", id="project-list"
        ),
        pytest.param(
            '[project]\nname = "p"\ndependencies = "httpx"\n',
            "[project] dependencies in p/pyproject.toml must be a list",
            id="dependencies-str",
        ),
    ],
)
def test_wrong_typed_tables_are_one_line(tmp_path: Path, package_toml: str, fragment: str) -> None:
    _write(
        tmp_path,
        {"pyproject.toml": '[tool.toolkit]\npackages = ["p"]\n', "p/pyproject.toml": package_toml},
    )

    with pytest.raises(ToolkitError) as caught:
        load_config(tmp_path)

    assert fragment in str(caught.value)


def test_a_pyproject_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b'[tool.toolkit]\npackages = ["\xe9"]\n')

    with pytest.raises(ToolkitError, match="is not UTF-8 text"):
        load_config(tmp_path)


def test_the_postgres_major_is_read_and_checked(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["p"]\npostgres = 16\n',
            "p/pyproject.toml": _package("p"),
        },
    )
    assert load_config(tmp_path).postgres == "16"

    (tmp_path / "pyproject.toml").write_text(
        '[tool.toolkit]\npackages = ["p"]\npostgres = "sixteen"\n'
    )
    with pytest.raises(ToolkitError, match="is not a PostgreSQL major version"):
        load_config(tmp_path)


def test_isolation_jobs_is_the_sessions_choice_unless_set(tmp_path: Path) -> None:
    _write(tmp_path, {"pyproject.toml": '[tool.toolkit]\npackages = ["p"]\n'})
    _write(tmp_path, {"p/pyproject.toml": _package("p")})
    assert load_config(tmp_path).isolation_jobs is None

    _write(tmp_path, {"pyproject.toml": '[tool.toolkit]\npackages = ["p"]\nisolation_jobs = 1\n'})
    assert load_config(tmp_path).isolation_jobs == 1


def test_a_one_package_repository_is_synced_from_its_uv_lock(tmp_path: Path) -> None:
    """uv locks a project that is no workspace too: its lock pins the one package."""
    _write(tmp_path, {"pyproject.toml": _package("solo"), "uv.lock": "version = 1\n"})

    assert load_config(tmp_path).lock == tmp_path / "uv.lock"


def test_a_root_projects_lock_does_not_pin_packages_in_other_folders(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": _package("root", '[tool.toolkit]\npackages = ["p"]'),
            "p/pyproject.toml": _package("p"),
            "uv.lock": "version = 1\n",
        },
    )

    assert load_config(tmp_path).lock is None


@pytest.mark.parametrize(
    ("package_toml", "files", "installable"),
    [
        pytest.param("", {}, False, id="no-build-system"),
        pytest.param(
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"',
            {},
            True,
            id="build-system",
        ),
        pytest.param(
            '[build-system]\nrequires = ["hatchling"]\n[tool.uv]\npackage = false',
            {},
            False,
            id="uv-package-false",
        ),
        pytest.param("[tool.uv]\npackage = true", {}, True, id="uv-package-true"),
        pytest.param(
            "", {"p/setup.py": "from setuptools import setup\nsetup()\n"}, True, id="setup-py"
        ),
        pytest.param("", {"p/setup.cfg": "[metadata]\nname = p\n"}, True, id="setup-cfg"),
    ],
)
def test_a_package_is_installed_only_when_it_can_be_built(
    tmp_path: Path, package_toml: str, files: dict[str, str], installable: bool
) -> None:
    repo = _repo(tmp_path, "", package_toml, files)

    assert load_config(repo).package("p").installable is installable


def test_test_groups_come_from_the_package_then_the_root(tmp_path: Path) -> None:
    groups = '[dependency-groups]\ntest = ["pytest"]\ntesting = ["httpx"]\nci = ["tox"]\n'
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["a", "b"]\ntest_groups = ["testing"]\n',
            "a/pyproject.toml": _package("a", groups),
            "b/pyproject.toml": _package(
                "b", groups + '[tool.toolkit]\ntest_groups = ["ci", "test"]'
            ),
        },
    )

    config = load_config(tmp_path)

    assert config.package("a").test_groups == ("testing",)
    assert config.package("b").test_groups == ("ci", "test")


def test_the_test_group_is_the_default_and_else_the_test_extra(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["a", "b"]\n',
            "a/pyproject.toml": _package(
                "a",
                '[project.optional-dependencies]\ntest = ["pytest"]\n'
                '[dependency-groups]\ntest = ["pytest"]\ndev = ["ruff"]',
            ),
            "b/pyproject.toml": _package(
                "b",
                '[project.optional-dependencies]\ntest = ["pytest"]\n[dependency-groups]\ndev = ["ruff"]',
            ),
        },
    )

    config = load_config(tmp_path)

    a, b = config.package("a"), config.package("b")
    assert (a.test_groups, a.test_extra) == (("test",), False)
    assert (b.test_groups, b.test_extra, b.dependency_groups) == ((), True, ("dev",))


def test_an_unknown_test_group_names_the_file_and_the_groups_it_has(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        'test_groups = ["tests"]\n',
        '[dependency-groups]\ndev = ["ruff"]\ntesting = ["httpx"]',
    )

    with pytest.raises(ToolkitError) as caught:
        load_config(repo)

    assert str(caught.value) == (
        "test_groups in [tool.toolkit] of pyproject.toml names 'tests', which is not a "
        "dependency group of p/pyproject.toml; name some of its [dependency-groups]: dev, testing"
    )


@pytest.mark.parametrize(
    "value", ['"testing"', "[1]", '[""]'], ids=["string", "not-names", "empty-name"]
)
def test_test_groups_must_be_a_list_of_names(tmp_path: Path, value: str) -> None:
    repo = _repo(tmp_path, "", f"[tool.toolkit]\ntest_groups = {value}")

    with pytest.raises(
        ToolkitError,
        match=re.escape("test_groups in [tool.toolkit] of p/pyproject.toml must be a list"),
    ):
        load_config(repo)


# Packages packaged the older way: setup.py, setup.cfg, requirements files.

SETUP_PY = '''\
"""An app."""
from setuptools import setup

setup(name="Inventory_Service", version="1", long_description=__doc__, python_requires=">=3.10")
'''


def test_a_setup_py_folder_is_a_package_named_by_its_setup_call(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["apps/*"]\n',
            "apps/inventory/setup.py": SETUP_PY,
            "apps/inventory/requirements.txt": "flask\n",
            "apps/inventory/requirements-dev.txt": "-r requirements.txt\npytest\n",
            "apps/inventory/requirements-docs.txt": "sphinx\n",
        },
    )

    (package,) = load_config(tmp_path).packages

    assert package.name == "inventory-service"
    assert package.installable
    assert not package.has_pyproject
    assert package.requires_python == ">=3.10"
    folder = tmp_path / "apps" / "inventory"
    # By their usual names: not requirements-docs.txt.
    assert package.requirements == (folder / "requirements.txt", folder / "requirements-dev.txt")


@pytest.mark.parametrize(
    ("files", "name"),
    [
        pytest.param({"requirements.txt": "flask\n", "app.py": ""}, "reporting", id="folder"),
        pytest.param(
            {"setup.cfg": "[metadata]\nname = monthly-reports\n", "setup.py": "setup()\n"},
            "monthly-reports",
            id="setup-cfg",
        ),
        pytest.param(
            {"setup.py": "import setuptools\nsetuptools.setup(name=NAME)\n"},
            "reporting",
            id="computed-name",
        ),
    ],
)
def test_an_older_package_is_named_by_its_metadata_else_its_folder(
    tmp_path: Path, files: dict[str, str], name: str
) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["reporting"]\n',
            **{f"reporting/{path}": content for path, content in files.items()},
        },
    )

    (package,) = load_config(tmp_path).packages

    assert package.name == name


def test_a_requirements_only_folder_is_imported_from_its_folder(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["reporting"]\n',
            "reporting/requirements.txt": "psycopg\n",
            "reporting/setup.cfg": "[tool:pytest]\naddopts = -q\n",
        },
    )

    (package,) = load_config(tmp_path).packages

    assert not package.installable  # pip builds no folder with only a setup.cfg
    assert package.dependencies == ("psycopg",)


def test_a_folder_with_nothing_of_a_package_is_not_one(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["apps/*"]\n',
            "apps/api/requirements.txt": "flask\n",
            "apps/docs/index.md": "",
        },
    )

    assert [package.name for package in load_config(tmp_path).packages] == ["api"]


def test_requirements_names_the_files_to_install(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["api"]\n'
            'requirements = ["requirements/ci.txt"]\n',
            "api/requirements.txt": "flask\n",
            "api/requirements/ci.txt": "-r ../requirements.txt\npytest\n",
        },
    )

    (package,) = load_config(tmp_path).packages

    assert package.requirements == (tmp_path / "api" / "requirements" / "ci.txt",)


def test_a_requirements_file_named_that_is_missing_is_one_line(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["api"]\n',
            "api/pyproject.toml": _package("api", '[tool.toolkit]\nrequirements = ["ci.txt"]'),
        },
    )

    with pytest.raises(ToolkitError) as caught:
        load_config(tmp_path)

    assert str(caught.value) == (
        "requirements in [tool.toolkit] of api/pyproject.toml names api/ci.txt, which does "
        "not exist; name requirements files relative to the package's folder"
    )


def test_a_project_with_a_pyproject_gets_no_requirements_files_unless_named(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["api"]\n',
            "api/pyproject.toml": _package("api"),
            "api/requirements.txt": "flask==1.0\n",  # e.g. pins exported for a Docker image
        },
    )

    (package,) = load_config(tmp_path).packages

    assert package.requirements == ()


@pytest.mark.parametrize(
    ("file", "content", "source"),
    [
        pytest.param(
            "setup.cfg",
            "[coverage:report]\nfail_under = 72.5\n",
            "api/setup.cfg [coverage:report]",
            id="setup-cfg",
        ),
        pytest.param(
            ".coveragerc", "[report]\nfail_under = 72.5\n", "api/.coveragerc [report]", id="rc"
        ),
        pytest.param(
            "tox.ini",
            "[coverage:report]\nfail_under = 72.5\n",
            "api/tox.ini [coverage:report]",
            id="tox",
        ),
    ],
)
def test_the_threshold_comes_from_where_coverage_reads_its_settings(
    tmp_path: Path, file: str, content: str, source: str
) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["api"]\n',
            # coverage reads the first file that has its settings: this one is ignored
            "api/pyproject.toml": _package("api", "[tool.coverage.report]\nfail_under = 99"),
            f"api/{file}": content,
        },
    )

    (package,) = load_config(tmp_path).packages

    assert (package.fail_under, package.threshold_source) == (72.5, source)


def test_a_plain_tests_folder_is_the_integration_layer(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["api", "web", "cli"]\n',
            "api/requirements.txt": "",
            "api/tests/test_api.py": "",
            "web/requirements.txt": "",
            "web/tests/unit/test_web.py": "",
            "web/tests/test_more.py": "",
            "cli/pyproject.toml": _package("cli", '[tool.toolkit]\nunit = "tests"'),
            "cli/tests/test_cli.py": "",
        },
    )
    config = load_config(tmp_path)

    api, web, cli = (config.package(name) for name in ("api", "web", "cli"))
    assert api.layers == ("integration",)
    assert api.test_dir("integration") == tmp_path / "api" / "tests"
    assert api.plain_tests and api.needs_database
    assert web.layers == ("unit",)  # it has a layer folder: the plain rule does not apply
    assert cli.layers == ("unit",)  # a layer named in config wins
    assert not web.plain_tests and not cli.plain_tests


def test_an_older_package_takes_settings_from_a_pyproject_holding_only_them(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["reporting"]\n',
            "reporting/requirements.txt": "psycopg\n",
            "reporting/pyproject.toml": '[tool.toolkit]\nunit = "tests"\n',
            "reporting/tests/test_report.py": "",
        },
    )

    (package,) = load_config(tmp_path).packages

    assert package.name == "reporting"
    assert package.layers == ("unit",)
    assert package.requirements == (tmp_path / "reporting" / "requirements.txt",)
    assert not package.installable


def test_unit_false_alone_leaves_a_plain_tests_folder_to_the_integration_layer(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["api", "web"]\n',
            "api/pyproject.toml": _package("api", "[tool.toolkit]\nunit = false"),
            "api/tests/test_api.py": "",
            "web/pyproject.toml": _package("web", "[tool.toolkit]\nintegration = false"),
            "web/tests/test_web.py": "",
        },
    )
    config = load_config(tmp_path)

    assert config.package("api").layers == ("integration",)
    assert config.package("web").layers == ()  # it declared its integration layer absent


@pytest.mark.parametrize(
    ("setup_cfg", "installable"),
    [
        pytest.param("[flake8]\nmax-line-length = 119\n", False, id="tool-settings"),
        pytest.param("[metadata]\nname = app\n", True, id="metadata"),
    ],
)
def test_a_setup_cfg_is_built_only_when_it_declares_a_package(
    tmp_path: Path, setup_cfg: str, installable: bool
) -> None:
    """An app beside a pyproject.toml of tool tables only (aerich's, black's) and a
    setup.cfg of flake8 settings is no package setuptools could build."""
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["project"]\n',
            "project/pyproject.toml": '[tool.aerich]\nlocation = "./migrations"\n',
            "project/setup.cfg": setup_cfg,
            "project/requirements.txt": "fastapi\n",
        },
    )

    (package,) = load_config(tmp_path).packages

    assert package.installable is installable
    assert package.name == ("app" if installable else "project")


def test_a_setup_py_root_is_the_one_package_without_a_project_table(tmp_path: Path) -> None:
    """Adding [project] to a setup.py app can break its build: it needs none."""
    _write(
        tmp_path,
        {
            "pyproject.toml": "[tool.toolkit]\nfail_under = 70\n",
            "setup.py": SETUP_PY,
            "requirements.txt": "flask\n",
        },
    )

    (package,) = load_config(tmp_path).packages

    assert (package.name, package.path, package.fail_under) == ("inventory-service", tmp_path, 70)
    assert package.requirements == (tmp_path / "requirements.txt",)


def test_leak_policy_is_fail_unless_set_and_a_packages_own_wins(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["a", "b", "c"]\n'
            'isolation_leaks = "report"\n',
            "a/pyproject.toml": _package("a"),
            "b/pyproject.toml": _package(
                "b",
                '[tool.toolkit]\nisolation_leaks = "off"\n'
                'isolation_accepted_leaks = ["tests/conftest.py::seed"]',
            ),
            "c/pyproject.toml": _package("c", '[tool.toolkit]\nisolation_leaks = "fail"'),
        },
    )

    config = load_config(tmp_path)

    assert [(p.name, p.isolation_leaks, p.accepted_leaks) for p in config.packages] == [
        ("a", "report", ()),
        ("b", "off", ("tests/conftest.py::seed",)),
        ("c", "fail", ()),
    ]
    _write(tmp_path, {"pyproject.toml": '[tool.toolkit]\npackages = ["a"]\n'})
    assert load_config(tmp_path).package("a").isolation_leaks == "fail"


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        pytest.param(
            'isolation_leaks = "warn"',
            "isolation_leaks in [tool.toolkit] of p/pyproject.toml = 'warn' is not a leak policy",
            id="policy",
        ),
        pytest.param(
            'isolation_accepted_leaks = "seed"',
            "isolation_accepted_leaks in [tool.toolkit] of p/pyproject.toml must be a list",
            id="accepted",
        ),
    ],
)
def test_leak_setting_mistakes_are_named_with_the_fix(
    tmp_path: Path, line: str, fragment: str
) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["p"]\n',
            "p/pyproject.toml": _package("p", f"[tool.toolkit]\n{line}"),
        },
    )

    with pytest.raises(ToolkitError) as caught:
        load_config(tmp_path)

    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)
