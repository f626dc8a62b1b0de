"""What decides a package environment's contents, and how a failed install is told."""

from __future__ import annotations

import pytest

from toolkit.host import environment
from toolkit.host.config import RepoConfig


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
