"""Package and layer folders must lie inside the repository (and a layer inside its
package) once ``..`` and symlinks are resolved: the sessions run code from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.host.test_config import _package, _write
from toolkit.errors import ToolkitError
from toolkit.host.config import load_config


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one package, next to a package that is not part of it."""
    _write(
        tmp_path,
        {
            "outside/pyproject.toml": _package("stranger"),
            "outside/tests/unit/test_x.py": "",
            "repo/pkgs/a/pyproject.toml": _package("a"),
            "repo/pkgs/a/tests/unit/test_x.py": "",
        },
    )
    return tmp_path / "repo"


def _root(repo: Path, toolkit_table: str) -> None:
    (repo / "pyproject.toml").write_text(f"[tool.toolkit]\n{toolkit_table}\n")


def _refusal(repo: Path) -> str:
    with pytest.raises(ToolkitError) as raised:
        load_config(repo)
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("../outside", id="parent"),
        pytest.param("pkgs/../../outside", id="through-a-package-folder"),
        pytest.param("ABSOLUTE", id="absolute"),
    ],
)
def test_package_outside_the_repository_is_refused(repo: Path, entry: str) -> None:
    entry = entry.replace("ABSOLUTE", str(repo.parent / "outside"))
    _root(repo, f'packages = ["pkgs/*", "{entry}"]')

    message = _refusal(repo)

    assert f"packages in [tool.toolkit]: '{entry}'" in message
    assert f"{repo.parent / 'outside'}, outside the repository {repo}" in message


def test_package_folder_linked_to_outside_is_refused(repo: Path) -> None:
    (repo / "pkgs" / "linked").symlink_to(repo.parent / "outside")
    _root(repo, 'packages = ["pkgs/*"]')

    message = _refusal(repo)

    assert f"{repo / 'pkgs' / 'linked'}, which is {repo.parent / 'outside'}" in message
    assert "outside the repository" in message


def test_package_folder_linked_inside_the_repository_is_accepted(repo: Path) -> None:
    (repo / "pkgs" / "alias").symlink_to(repo / "pkgs" / "a")
    _root(repo, 'packages = ["pkgs/alias"]')

    assert [package.name for package in load_config(repo).packages] == ["a"]


@pytest.mark.parametrize(
    ("where", "folder"),
    [
        pytest.param("root", "../../../outside/tests/unit", id="root-setting"),
        pytest.param("package", "../../../outside/tests/unit", id="package-setting"),
        pytest.param("package", "/tmp", id="absolute"),
    ],
)
def test_layer_folder_outside_its_package_is_refused(repo: Path, where: str, folder: str) -> None:
    setting = f'unit = "{folder}"'
    _root(repo, 'packages = ["pkgs/*"]' + (f"\n{setting}" if where == "root" else ""))
    if where == "package":
        (repo / "pkgs/a/pyproject.toml").write_text(_package("a", f"[tool.toolkit]\n{setting}"))

    message = _refusal(repo)

    assert f"the unit folder '{folder}' of the package in {repo / 'pkgs' / 'a'}" in message
    assert "outside the package" in message


def test_default_layer_folder_linked_outside_is_refused(repo: Path) -> None:
    (repo / "pkgs/a/tests/integration").symlink_to(repo.parent / "outside" / "tests")
    _root(repo, 'packages = ["pkgs/*"]')

    assert "the integration folder 'tests/integration'" in _refusal(repo)


def test_layer_folder_inside_its_package_is_accepted(repo: Path) -> None:
    _root(repo, 'packages = ["pkgs/*"]\nunit = "tests/../tests/unit"')

    assert load_config(repo).package("a").layers == ("unit",)


@pytest.mark.parametrize("value", ["[]", '""', '["3.12", 3]', '"python3"'])
def test_root_python_that_names_no_version_is_refused(repo: Path, value: str) -> None:
    _root(repo, f'packages = ["pkgs/*"]\npython = {value}')

    assert "python in [tool.toolkit]" in _refusal(repo)
