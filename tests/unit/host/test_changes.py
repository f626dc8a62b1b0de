"""Changed-package selection: files to packages, packages to dependents."""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

import pytest

from tests.unit.host.test_config import _package, _write
from toolkit.errors import ToolkitError
from toolkit.host.changes import changed_files, select
from toolkit.host.config import load_config


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """core <- api <- web, and a lone tool."""
    return _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["libs/*", "apps/*"]\n',
            "libs/core/pyproject.toml": _package("core"),
            "libs/core/src/core/__init__.py": "",
            "apps/api/pyproject.toml": _package("api", 'dependencies = ["core"]'),
            "apps/web/pyproject.toml": _package("web", 'dependencies = ["api>=1"]'),
            "apps/tool/pyproject.toml": _package("tool"),
            "docs/index.md": "# docs\n",
        },
    )


def _select(repo: Path, *files: str):
    return select(load_config(repo), "main", [PurePosixPath(name) for name in files])


def test_change_selects_its_package_and_transitive_dependents(repo: Path) -> None:
    selection = _select(repo, "libs/core/src/core/__init__.py")

    assert selection.reasons == {
        "core": "changed: libs/core/src/core/__init__.py",
        "api": "depends on core",
        "web": "depends on api",
    }


def test_change_in_a_leaf_selects_only_it(repo: Path) -> None:
    assert _select(repo, "apps/web/pyproject.toml").packages == ["web"]


@pytest.mark.parametrize("name", ["pyproject.toml", "noxfile.py", "uv.lock"])
def test_root_configuration_change_selects_everything(repo: Path, name: str) -> None:
    selection = _select(repo, name)

    assert selection.packages == ["core", "api", "tool", "web"]
    assert set(selection.reasons.values()) == {f"root configuration changed ({name})"}


def test_files_outside_packages_select_nothing(repo: Path) -> None:
    assert _select(repo, "docs/index.md", "README.md", ".github/workflows/tests.yml").packages == []


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def git_repo(repo: Path) -> Path:
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "start")
    return repo


def test_changed_files_include_commits_edits_and_new_files(git_repo: Path) -> None:
    _git(git_repo, "checkout", "-q", "-b", "feature")
    (git_repo / "apps" / "tool" / "pyproject.toml").write_text(_package("tool", "# edited"))
    _git(git_repo, "commit", "-q", "-am", "edit tool")
    (git_repo / "libs" / "core" / "src" / "core" / "new.py").write_text("")

    files = changed_files(git_repo, "main")

    assert sorted(map(str, files)) == ["apps/tool/pyproject.toml", "libs/core/src/core/new.py"]
    assert select(load_config(git_repo), "main").packages == ["core", "api", "tool", "web"]


def test_a_file_git_ignores_selects_its_package_tool_folders_do_not(git_repo: Path) -> None:
    """pytest collects an ignored failing test file: its package must not be skipped
    as unchanged (its result cache decides whether anything changed)."""
    (git_repo / ".git/info/exclude").write_text("test_local.py\n.venv/\n__pycache__/\n")
    (git_repo / "apps/tool/tests").mkdir(parents=True, exist_ok=True)
    (git_repo / "apps/tool/tests/test_local.py").write_text("def test_x():\n    assert False\n")
    (git_repo / "apps/web/.venv").mkdir(parents=True)
    (git_repo / "apps/web/.venv/pyvenv.cfg").write_text("")
    (git_repo / "apps/web/__pycache__").mkdir(parents=True)
    (git_repo / "apps/web/__pycache__/x.pyc").write_text("")

    files = sorted(map(str, changed_files(git_repo, "main")))

    assert "apps/tool/tests/test_local.py" in files
    assert not [name for name in files if name.startswith("apps/web")]
    assert select(load_config(git_repo), "main").packages == ["tool"]


def test_unknown_ref_is_named(git_repo: Path) -> None:
    with pytest.raises(ToolkitError, match="'origin/nope' is not a commit"):
        changed_files(git_repo, "origin/nope")


def test_packages_command_prints_the_selection_with_reasons(git_repo: Path, capsys) -> None:
    from toolkit.cli import main

    (git_repo / "apps" / "api" / "handler.py").write_text("")

    code = main(["packages", "--root", str(git_repo), "--changed-since", "main"])

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "api                  changed: apps/api/handler.py",
        "web                  depends on api",
    ]
