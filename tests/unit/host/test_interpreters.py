"""Choosing each package's interpreter among those installed (discovery is faked here;
tests/integration/test_interpreters.py probes real ones)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.host.test_config import _package, _write
from toolkit.errors import ToolkitError
from toolkit.host import interpreters
from toolkit.host.config import RepoConfig, load_config
from toolkit.host.interpreters import Interpreter

INSTALLED = tuple(
    Interpreter((3, minor, 1), f"/opt/python3.{minor}/bin/python3.{minor}")
    for minor in (13, 12, 11, 10)
)
LOCK = 'version = 1\nrevision = 3\nrequires-python = ">=3.10, <3.12"\n'


@pytest.fixture(autouse=True)
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interpreters, "installed", lambda uv, record=None: INSTALLED)


def _workspace(root: Path, *, lock: bool = True, root_extra: str = "") -> RepoConfig:
    """A uv workspace whose ``old`` member stops below 3.12, as ``uv lock`` sees it."""
    _write(
        root,
        {
            "pyproject.toml": f'[tool.uv.workspace]\nmembers = ["packages/*"]\n{root_extra}',
            "packages/new/pyproject.toml": _package("new", 'requires-python = ">=3.10"'),
            "packages/old/pyproject.toml": _package("old", 'requires-python = ">=3.10,<3.12"'),
            **({"uv.lock": LOCK} if lock else {}),
        },
    )
    return load_config(root)


def test_every_workspace_member_runs_on_a_python_the_lock_admits(tmp_path: Path) -> None:
    config = _workspace(tmp_path)

    chosen = {p.name: interpreters.choose(config, p, None, None).minor for p in config.packages}

    assert chosen == {"new": "3.11", "old": "3.11"}  # as uv run --package would


def test_without_a_lock_each_package_runs_on_what_it_admits(tmp_path: Path) -> None:
    config = _workspace(tmp_path, lock=False)

    chosen = {p.name: interpreters.choose(config, p, None, None).minor for p in config.packages}

    assert chosen == {"new": "3.13", "old": "3.11"}


def test_a_matrix_keeps_only_the_versions_the_lock_admits(tmp_path: Path) -> None:
    config = _workspace(tmp_path, root_extra='[tool.toolkit]\npython = ["3.11", "3.13"]\n')

    assert interpreters.versions_for(config, config.package("new")) == ("3.11",)


def test_a_version_the_lock_refuses_is_one_line_naming_the_lock(tmp_path: Path) -> None:
    config = _workspace(tmp_path)

    with pytest.raises(ToolkitError) as caught:
        interpreters.choose(config, config.package("new"), "3.13", None)

    message = str(caught.value)
    assert message.startswith(
        "new is to run on Python 3.13, which uv.lock's requires-python '>=3.10, <3.12' "
        "does not admit"
    )
    assert "run uv lock" in message and "\n" not in message


def test_nothing_installed_that_both_admit_names_both_requirements(tmp_path: Path) -> None:
    _workspace(tmp_path)
    (tmp_path / "uv.lock").write_text(LOCK.replace(">=3.10, <3.12", ">=3.10, <3.10.1"))
    config = load_config(tmp_path)
    picky = config.package("old")

    with pytest.raises(ToolkitError) as caught:
        interpreters.choose(config, picky, None, None)

    assert str(caught.value).startswith(
        "no installed Python satisfies old's requires-python '>=3.10,<3.12' and "
        "uv.lock's requires-python '>=3.10, <3.10.1'"
    )
