"""A repository that is one package, its tests in ``tests/``: adopted by its own
pyproject, root and package settings in one ``[tool.toolkit]`` table; and how such a
package's environment is built: from its ``uv.lock``, without installing an app that
is no package, with the dependency groups it names."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from tests.integration.sessions.conftest import (
    NOXFILE,
    run_nox,
    run_nox_after_edit,
    user_environ,
    write_files,
)
from tests.integration.sessions.test_package_environments import UV, _in_env

pytestmark = pytest.mark.slow

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "solo"
version = "0.1"

[dependency-groups]
test = ["pytest"]

[tool.toolkit]
fail_under = 90
unit = "tests"
integration = false
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write_files(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT,
            "noxfile.py": NOXFILE,
            "src/solo/__init__.py": "def add(a, b):\n    return a + b\n",
            "tests/test_solo.py": "from solo import add\n\n\ndef test_add():\n"
            "    assert add(1, 2) == 3\n",
        },
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path


def test_the_readme_commands_run_a_one_package_repository(
    nox_without_toolkit: Path, repo: Path
) -> None:
    first = run_nox(nox_without_toolkit, repo, "-s", "unit")
    again = run_nox(nox_without_toolkit, repo, "-s", "unit")
    isolation = run_nox(nox_without_toolkit, repo, "-s", "isolation")

    assert first.returncode == 0, first.stderr[-3000:]
    assert re.search(r"solo +1 passed, 0 failed +- +100% +90%", first.stdout)
    assert "unit(solo): cached (key " in again.stderr
    assert isolation.returncode == 0, isolation.stderr[-3000:]
    assert "isolation(solo): no findings" in isolation.stderr


#: A one-package repository with a uv.lock: the lock pins packaging below its newest
#: release, and uv's default group (dev) holds what its tests must not get.
LOCKED = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "locked"
version = "0.1"
requires-python = ">=3.12"
dependencies = ["packaging"]

[tool.uv]
constraint-dependencies = ["packaging<22"]

[dependency-groups]
test = ["pytest>=8", {include-group = "mocks"}]
mocks = ["pytest-mock"]
dev = ["six"]

[tool.toolkit]
unit = "tests"
integration = false

[tool.coverage.report]
fail_under = 0
"""

#: A test that needs pytest-mock's fixture.
MOCKER_TEST = "def test_mocks(mocker):\n    assert mocker.Mock()() is not None\n"


def _version_in_env(repo: Path, distribution: str) -> str:
    """The installed version of ``distribution`` in the repository's one environment."""
    (env,) = (repo / ".nox").glob("toolkit-*-py*")
    package = env.name.removeprefix("toolkit-").rpartition("-py")[0]
    return _in_env(
        repo, package, f"import importlib.metadata as m; print(m.version({distribution!r}))"
    )


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("one-package-lock")
    write_files(
        root,
        {
            "pyproject.toml": LOCKED,
            "noxfile.py": NOXFILE,
            "src/locked/__init__.py": "import packaging\n",
            "tests/test_locked.py": MOCKER_TEST,
        },
    )
    subprocess.run(
        [UV, "lock", "--quiet", "--python", sys.executable],
        cwd=root,
        env=user_environ(),
        check=True,
    )
    return root


def test_a_one_package_repository_is_synced_from_its_uv_lock(
    nox_without_toolkit: Path, locked: Path
) -> None:
    result = run_nox(nox_without_toolkit, locked, "-s", "unit")

    lock = tomllib.loads((locked / "uv.lock").read_text())
    pinned = {package["name"]: package["version"] for package in lock["package"]}
    assert result.returncode == 0, result.stderr[-3000:]
    assert "syncing" in result.stderr and "from uv.lock" in result.stderr
    assert pinned["packaging"].startswith("21.")  # below its newest release
    assert _version_in_env(locked, "packaging") == pinned["packaging"]
    assert _version_in_env(locked, "pytest-mock") == pinned["pytest-mock"]  # include-group
    # uv's default group is not synced: without a lock, pip would not install it either
    assert "No package metadata was found for six" in _version_in_env(locked, "six")


def test_a_stale_lock_of_a_one_package_repository_is_one_line(
    nox_without_toolkit: Path, locked: Path
) -> None:
    result = run_nox_after_edit(
        nox_without_toolkit,
        locked,
        locked / "pyproject.toml",
        'dependencies = ["packaging"]',
        'dependencies = ["idna"]',
        "-s",
        "unit",
    )

    assert result.returncode != 0
    assert "uv.lock does not match the pyprojects: run uv lock" in result.stderr
    assert "Traceback" not in result.stderr


#: An app laid out as app/ with its tests in app/tests, no [build-system]: uv does not
#: install it, and neither does the toolkit.
APP = """\
[project]
name = "flat"
version = "0"
dependencies = ["six"]

[dependency-groups]
test = ["pytest-mock"]
{tool}
[tool.toolkit]
unit = "app/tests"
integration = false

[tool.coverage.report]
fail_under = 0
"""

APP_FILES = {
    "noxfile.py": NOXFILE,
    "app/__init__.py": "import six\n\nNAME = 'app'\n",
    "app/tests/__init__.py": "",
    "app/tests/test_app.py": "from app import NAME\n\n\ndef test_name(mocker):\n"
    "    assert NAME == 'app'\n",
    # what an earlier run leaves in the package folder of a one-package repository
    "reports/summary.md": "",
}


def test_an_app_that_is_no_package_gets_its_dependencies_and_imports_from_its_folder(
    nox_without_toolkit: Path, tmp_path: Path
) -> None:
    write_files(tmp_path, {"pyproject.toml": APP.format(tool=""), **APP_FILES})

    result = run_nox(nox_without_toolkit, tmp_path, "-s", "unit")

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "flat     1 passed, 0 failed" in result.stdout
    assert "No package metadata was found for flat" in _version_in_env(tmp_path, "flat")
    assert _version_in_env(tmp_path, "six")[0].isdigit()  # its dependencies are there


def test_a_flat_layout_setuptools_refuses_because_of_reports_is_one_line(
    nox_without_toolkit: Path, tmp_path: Path
) -> None:
    build = '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    write_files(tmp_path, {"pyproject.toml": APP.format(tool=build), **APP_FILES})

    result = run_nox(nox_without_toolkit, tmp_path, "-s", "unit")

    errors = [line for line in result.stderr.splitlines() if "could not be installed" in line]
    assert result.returncode != 0
    assert len(errors) == 1, result.stderr[-3000:]
    assert "several top-level packages" in errors[0]
    assert "(app, reports)" in errors[0]
    assert "reports/ is the toolkit's report folder" in errors[0]
    assert 'include = ["app*"]' in errors[0]
    assert "Traceback" not in result.stderr


#: Test dependencies in a group not named test, as the package's owner named it.
GROUPED = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "grouped"
version = "0.1"

[dependency-groups]
testing = ["pytest>=8", {include-group = "mocks"}]
mocks = ["pytest-mock"]

[tool.toolkit]
unit = "tests"
integration = false
{setting}

[tool.coverage.report]
fail_under = 0
"""


def test_test_groups_name_the_groups_a_package_environment_holds(
    nox_without_toolkit: Path, tmp_path: Path
) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": GROUPED.replace("{setting}", ""),
            "noxfile.py": NOXFILE,
            "src/grouped/__init__.py": "",
            "tests/test_grouped.py": MOCKER_TEST,
        },
    )

    unnamed = run_nox(nox_without_toolkit, tmp_path, "-s", "unit")
    (tmp_path / "pyproject.toml").write_text(
        GROUPED.replace("{setting}", 'test_groups = ["testing"]')
    )
    named = run_nox(nox_without_toolkit, tmp_path, "-s", "unit")

    assert unnamed.returncode != 0  # no mocker fixture
    assert (
        "grouped: no dependency group is installed (it has no test group or extra); if its "
        "tests need some, name them in [tool.toolkit] of its pyproject.toml: "
        'test_groups = ["testing", "mocks"]'
    ) in unnamed.stderr
    assert named.returncode == 0, named.stdout[-3000:] + named.stderr[-3000:]
    assert "no dependency group is installed" not in named.stderr
    assert _version_in_env(tmp_path, "pytest-mock")[0].isdigit()  # through include-group
