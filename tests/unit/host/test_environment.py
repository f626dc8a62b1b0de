"""What decides a package environment's contents, and how a failed install is told."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.unit.host.test_config import _package, _write
from toolkit.host import environment
from toolkit.host.config import RepoConfig, load_config


def test_the_stamp_changes_with_the_packages_pyproject(config: RepoConfig) -> None:
    api = config.package("api")
    requirements = ["-e", str(api.path)]
    before = environment._stamp(config, api, "/usr/bin/python3.12", requirements)

    (api.path / "pyproject.toml").write_text(
        (api.path / "pyproject.toml").read_text() + 'dependencies = ["httpx"]\n'
    )

    assert environment._stamp(config, api, "/usr/bin/python3.12", requirements) != before


def test_the_stamp_changes_with_the_interpreter(config: RepoConfig) -> None:
    api = config.package("api")

    first = environment._stamp(config, api, "/usr/bin/python3.12", [])
    second = environment._stamp(config, api, "/usr/bin/python3.13", [])

    assert first != second


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        pytest.param(
            "Using Python 3.12\n  × No solution found when resolving dependencies:\n"
            "  ╰─▶ Because nope was not found in the package registry\n",
            "Because nope was not found in the package registry",
            id="uv",
        ),
        pytest.param(
            "Processing ./x\nERROR: Could not find a version that satisfies nope\n",
            "ERROR: Could not find a version that satisfies nope",
            id="pip",
        ),
        pytest.param(
            "error: No solution found when resolving dependencies\n"
            "  cause: Because toolkit depends on pytest>=8 and pytest==7.4.4, ...\n",
            "Because toolkit depends on pytest>=8 and pytest==7.4.4, ...",
            id="uv-causes",
        ),
        pytest.param(
            "error: No solution found when resolving dependencies\n"
            "  cause: Because monorepo-toolkit[runner] depends on pytest>=8, it does.\n"
            "         And because you require monorepo-toolkit[runner] and pytest==7.4.4, "
            "your requirements are unsatisfiable.\n",
            "Because monorepo-toolkit[runner] depends on pytest>=8, it does. And because you "
            "require monorepo-toolkit[runner] and pytest==7.4.4, your requirements are "
            "unsatisfiable.",
            id="uv-conflict-names-both-sides",
        ),
        pytest.param("", "no output", id="silent"),
    ],
)
def test_a_failed_install_is_told_by_its_first_error_line(output: str, expected: str) -> None:
    assert environment._install_error(output) == expected


def test_install_spec_overrides_what_environments_get(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_INSTALL_SPEC", "monorepo-toolkit @ file:///opt/toolkit")

    assert environment.toolkit_requirement() == ["monorepo-toolkit @ file:///opt/toolkit"]


def test_a_toolkit_installed_by_copy_is_reinstalled_when_its_files_change(
    config: RepoConfig, tmp_path
) -> None:
    api = config.package("api")
    checkout = tmp_path / "toolkit-checkout"
    (checkout / "toolkit").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text('[project]\nname = "monorepo-toolkit"\n')
    (checkout / "toolkit" / "cli.py").write_text("VERSION = 1\n")
    spec = [f"monorepo-toolkit[runner] @ {checkout.as_uri()}"]
    before = environment._stamp(config, api, "/usr/bin/python3.12", spec)

    assert environment._stamp(config, api, "/usr/bin/python3.12", spec) == before
    (checkout / "toolkit" / "cli.py").write_text("VERSION = 2\n")
    assert environment._stamp(config, api, "/usr/bin/python3.12", spec) != before


def _one_package(root: Path, pyproject: str, files: dict[str, str] | None = None) -> RepoConfig:
    _write(root, {"pyproject.toml": pyproject, **(files or {})})
    return load_config(root)


APP = """\
[project]
name = "app"
version = "0"
dependencies = ["fastapi>=0.115", "sqlalchemy[asyncio]>=2"]

[dependency-groups]
testing = ["httpx", {include-group = "lint"}]
lint = ["ruff"]
dev = ["ipython"]

[tool.toolkit]
test_groups = ["testing"]
"""


def test_an_app_without_a_build_system_gets_its_dependencies_not_itself(tmp_path: Path) -> None:
    config = _one_package(tmp_path, APP)
    (app,) = config.packages

    requirements = environment._requirements(config, app)

    assert str(tmp_path) not in " ".join(requirements)  # nothing installed from its folder
    assert requirements[:4] == ["fastapi>=0.115", "sqlalchemy[asyncio]>=2", "httpx", "ruff"]
    assert "ipython" not in requirements  # only the groups named


def test_a_legacy_setup_py_project_is_still_installed(tmp_path: Path) -> None:
    config = _one_package(tmp_path, APP, {"setup.py": "from setuptools import setup\n\nsetup()\n"})
    (app,) = config.packages

    requirements = environment._requirements(config, app)

    assert requirements[:2] == ["-e", str(tmp_path)]


def test_an_app_without_a_build_system_gets_its_test_extra_and_siblings_from_folders(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["lib", "app"]\n',
            "lib/pyproject.toml": _package("lib", '[build-system]\nrequires = ["hatchling"]'),
            "app/pyproject.toml": _package(
                "app",
                'dependencies = ["lib", "six"]\n'
                '[project.optional-dependencies]\ntest = ["pytest-mock"]',
            ),
        },
    )
    config = load_config(tmp_path)

    requirements = environment._requirements(config, config.package("app"))

    assert requirements[:4] == ["-e", str(tmp_path / "lib"), "six", "pytest-mock"]


def test_the_lock_path_installs_the_same_groups_as_the_pip_path(tmp_path: Path) -> None:
    config = _one_package(tmp_path, APP)
    (app,) = config.packages

    selection = environment._lock_selection(app)

    # uv's default groups (dev) are not synced unless named, as pip would not install them
    assert selection == ["--package", "app", "--no-default-groups", "--group", "testing"]


def test_a_package_with_groups_but_none_for_tests_is_told_which_setting_to_add(
    tmp_path: Path,
) -> None:
    config = _one_package(tmp_path, APP.replace('test_groups = ["testing"]', ""))
    (app,) = config.packages
    lines: list[str] = []

    environment._name_uninstalled_groups(SimpleNamespace(log=lines.append), app)  # type: ignore[arg-type]

    assert lines == [
        "app: no dependency group is installed (it has no test group or extra); if its "
        "tests need some, name them in [tool.toolkit] of its pyproject.toml: "
        'test_groups = ["testing", "lint", "dev"]'
    ]


def test_a_flat_layout_that_setuptools_refuses_is_one_line_naming_reports(
    config: RepoConfig,
) -> None:
    output = (
        "  × Getting requirements to build editable did not run successfully.\n"
        "      error: Multiple top-level packages discovered in a flat-layout: "
        "['app', 'migrations', 'reports'].\n"
        "      To avoid accidental inclusion of unwanted files or directories,\n"
        "error: subprocess-exited-with-error\n"
    )
    api = config.package("api")

    reason = environment._failure(api, subprocess.CompletedProcess([], 1, "", output))

    assert reason == (
        f"setuptools finds several top-level packages in {api.path} (app, migrations, "
        "reports) and builds none; reports/ is the toolkit's report folder, not a package: "
        "name yours in its pyproject.toml, [tool.setuptools.packages.find] "
        'include = ["app*", "migrations*"], or move them under src/'
    )


def _older(root: Path, files: dict[str, str]) -> RepoConfig:
    _write(root, {"pyproject.toml": '[tool.toolkit]\npackages = ["app"]\n', **files})
    return load_config(root)


def test_an_older_package_gets_its_requirements_files_and_itself(tmp_path: Path) -> None:
    config = _older(
        tmp_path,
        {
            "app/setup.py": "from setuptools import setup\nsetup(name='app')\n",
            "app/requirements.txt": "-c constraints.txt\nflask\n",
            "app/requirements-dev.txt": "-r requirements.txt\npytest\n",
        },
    )
    (app,) = config.packages
    folder = tmp_path / "app"

    requirements = environment._requirements(config, app)

    # The files themselves: the installer follows their -r and -c lines.
    assert requirements[:6] == [
        *("-r", str(folder / "requirements.txt")),
        *("-r", str(folder / "requirements-dev.txt")),
        *("-e", str(folder)),
    ]


def test_a_requirements_only_package_is_not_built(tmp_path: Path) -> None:
    config = _older(tmp_path, {"app/requirements.txt": "flask\n", "app/app.py": ""})
    (app,) = config.packages

    requirements = environment._requirements(config, app)

    from_its_folder = [arg for arg in requirements if arg.startswith(str(tmp_path))]
    assert from_its_folder == [str(tmp_path / "app" / "requirements.txt")]  # not itself


@pytest.mark.parametrize(
    "edited",
    ["requirements.txt", "requirements-dev.txt", "constraints.txt", "base.txt", "setup.py"],
)
def test_the_stamp_covers_requirements_files_and_what_they_include(
    tmp_path: Path, edited: str
) -> None:
    config = _older(
        tmp_path,
        {
            "app/setup.py": "from setuptools import setup\nsetup(name='app')\n",
            "app/requirements.txt": "-c constraints.txt\n--requirement=base.txt\n",
            "app/base.txt": "flask\n",
            "app/constraints.txt": "flask<2\n",
            "app/requirements-dev.txt": "-r requirements.txt\npytest\n",
        },
    )
    (app,) = config.packages
    wanted = environment._requirements(config, app)
    before = environment._stamp(config, app, "/usr/bin/python3.12", wanted)

    path = tmp_path / "app" / edited
    path.write_text(path.read_text() + "# edited\n")

    assert environment._stamp(config, app, "/usr/bin/python3.12", wanted) != before


UV_BUILD_FAILURE = """\
  × Failed to build `app @ file:///work/app`
  ├─▶ The build backend returned an error
  ╰─▶ Call to `setuptools.build_meta.build_editable` failed (exit status: 1)

      [stderr]
      Traceback (most recent call last):
        File "<string>", line 3, in <module>
      AttributeError: 'NoneType' object has no attribute 'get'

hint: This usually indicates a problem with the package or the build environment.
"""
PIP_BUILD_FAILURE = """\
  error: subprocess-exited-with-error

  × Getting requirements to build editable did not run successfully.
  │ exit code: 1
  ╰─> [3 lines of output]
      Traceback (most recent call last):
        File "<string>", line 3, in <module>
      AttributeError: 'NoneType' object has no attribute 'get'
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
error: subprocess-exited-with-error
"""


@pytest.mark.parametrize("output", [UV_BUILD_FAILURE, PIP_BUILD_FAILURE], ids=["uv", "pip"])
@pytest.mark.parametrize(
    ("pyproject", "fix"),
    [
        pytest.param(
            None,
            "fix its setup.py (pip install -e {folder} shows the whole error)",
            id="setup-py-only",
        ),
        pytest.param(
            _package("app", '[build-system]\nrequires = ["setuptools"]'),
            "setuptools applies the [project] table of its pyproject.toml over setup.py and "
            "they disagree; a setup.py package needs no [project] table for the toolkit: "
            "remove it (pip install -e {folder} shows the whole error)",
            id="project-and-setup-py",
        ),
    ],
)
def test_a_failed_build_is_the_backends_last_error_line_and_the_fix(
    tmp_path: Path, output: str, pyproject: str | None, fix: str
) -> None:
    files = {"app/setup.py": "from setuptools import setup\nsetup(name='app')\n"}
    if pyproject is not None:
        files["app/pyproject.toml"] = pyproject
    (app,) = _older(tmp_path, files).packages

    reason = environment._failure(app, subprocess.CompletedProcess([], 1, "", output))

    assert reason == (
        "its build failed: AttributeError: 'NoneType' object has no attribute 'get': "
        + fix.format(folder=tmp_path / "app")
    )


def test_lock_pins_become_constraints_without_path_sources() -> None:
    """A workspace member depending on a library by path outside the workspace: uv
    exports it as an editable line, which pip and uv refuse as a constraint."""
    from toolkit.host.environment import _as_constraints

    pins = (
        "six==1.16.0\n-e ../../../extlib\n./vendored/pkg\nhttpx==0.27.0 ; python_version >= '3.8'\n"
    )

    assert _as_constraints(pins) == "six==1.16.0\nhttpx==0.27.0 ; python_version >= '3.8'\n"
