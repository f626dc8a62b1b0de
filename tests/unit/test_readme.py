"""The README says what the code does: its dependency table and its examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib

from toolkit.host.config import load_config

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _section(heading: str) -> str:
    start = README.index(heading)
    end = README.find("\n## ", start + len(heading))
    return README[start : end if end != -1 else None]


def _declared_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return {_REQUIREMENT_NAME.match(item).group(1).lower() for item in requirements}  # type: ignore[union-attr]


def _table_dependencies() -> set[str]:
    rows = [line for line in _section("## Dependencies").splitlines() if line.startswith("| ")][1:]
    return {name.strip() for row in rows for name in row.split("|")[1].split(",")}


def test_the_dependency_table_lists_exactly_what_pyproject_declares() -> None:
    assert _table_dependencies() - {"nox"} == _declared_dependencies()


def _code_blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(section), flags=re.DOTALL)


@pytest.mark.parametrize("section", ["### Configuration", "### Adopting an existing app"])
def test_the_configuration_examples_are_valid(section: str, tmp_path: Path) -> None:
    """The README's root and package tables, as written, load without a mistake."""
    blocks = _code_blocks(section, "toml")
    root = next((block for block in blocks if "packages =" in block), None)
    package = next(block for block in blocks if "[tool.toolkit]" in block and block is not root)
    (tmp_path / "pyproject.toml").write_text(
        (root or "").replace('["services/*"]', '["app"]') or '[tool.toolkit]\npackages = ["app"]\n'
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pyproject.toml").write_text(f'[project]\nname = "app"\n{package}')

    config = load_config(tmp_path)

    assert [package.name for package in config.packages] == ["app"]


def test_the_python_examples_compile() -> None:
    for block in re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL):
        compile(block, "README.md", "exec")
