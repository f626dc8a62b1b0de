"""Outside nox, the plugin names a package's test database as the sessions name it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.host.test_config import _write
from toolkit.testing.plugin import _project_name


@pytest.mark.parametrize(
    ("files", "name"),
    [
        ({"pyproject.toml": '[project]\nname = "users"\n'}, "users"),
        ({"setup.py": "from setuptools import setup\nsetup(name='inventory')\n"}, "inventory"),
        ({"requirements.txt": "flask\n"}, "reporting"),
    ],
    ids=["pyproject", "setup-py", "folder"],
)
def test_the_name_is_the_packages_own(tmp_path: Path, files: dict[str, str], name: str) -> None:
    folder = _write(tmp_path / "reporting", files)

    assert _project_name(folder) == name
