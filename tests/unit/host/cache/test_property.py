"""The result cache's promise, over many generated edits: any single change to what a
layer run reads reruns it, and what the run itself writes never does.

Each example builds a package the way people write them (tests beside a data file,
a conftest above the package, an ignored test file pytest still collects, a test
linked in from outside the package, a lock at the root), stores a passing run that
writes its own outputs into the package folder, applies one edit, and asks the cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.host.cache.test_lookup import _environment, _slot
from tests.unit.host.test_config import _write

FILES = {
    "pyproject.toml": '[tool.toolkit]\npackages = ["apps/*"]\n',
    "uv.lock": "version = 1\n",
    "conftest.py": "import os\n",
    ".gitignore": ".nox/\nreports/\nlocal_*.py\n",
    "shared/test_linked.py": "def test_linked():\n    assert True\n",
    "apps/api/pyproject.toml": '[project]\nname = "api"\nversion = "1"\n',
    "apps/api/src/api/__init__.py": "RATE = 2\n",
    "apps/api/src/api/prices.py": "from api import RATE\n\ndef price(x):\n    return x * RATE\n",
    "apps/api/tests/unit/conftest.py": "import pytest\n",
    "apps/api/tests/unit/test_prices.py": "from api.prices import price\n\ndef test_p():\n    assert price(1) == 2\n",
    "apps/api/tests/unit/data/cases.json": "[[1, 2]]\n",
    "apps/api/tests/unit/local_checks.py": "def test_local():\n    assert True\n",
}
#: Files of each kind a user edits: each edit must rerun the layer.
INPUT_FILES = sorted(
    name for name in FILES if name not in (".gitignore", "pyproject.toml", "uv.lock")
)
VARIABLES = ["PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONPATH", "PYTHONHASHSEED", "COVERAGE_CORE"]
#: What runs write: the run's own outputs, tool folders, compiled files.
OUTPUT_WRITES = [
    "apps/api/coverage.xml",
    "apps/api/logs/run.log",
    "apps/api/src/api.egg-info/PKG-INFO",
    "apps/api/.pytest_cache/v/cache/lastfailed",
    "apps/api/src/api/__pycache__/prices.cpython-312.pyc",
    "apps/api/.coverage",
    "reports/api/junit-unit.xml",
    ".nox/toolkit-api-py3.12/log.txt",
]


@contextmanager
def _repository() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "repo"
        _write(root, FILES)
        (root / "apps/api/tests/unit/test_linked.py").symlink_to(root / "shared/test_linked.py")
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        _environment(root, "api")
        site = root / ".nox/toolkit-api-py3.12/lib/python3.12/site-packages"
        (site / "six-1.16.0.dist-info").mkdir(parents=True)
        yield root


def _passing_run(root: Path, run: int) -> None:
    """A run that passes and writes into its package folder, as apps' addopts do."""
    slot = _slot(root)
    for name in OUTPUT_WRITES[:3]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"written by run {run}\n")
    reports = root / "reports"
    reports.mkdir(exist_ok=True)
    junit, data = reports / "junit.xml", reports / "data.coverage"
    junit.write_text("<testsuites/>")
    data.write_bytes(b"data")
    assert slot.store(junit, data, interpreter=sys.executable), slot.note


def _replays(root: Path) -> bool:
    reports = root / "reports"
    return _slot(root).replay(reports / "junit.xml", reports / "data.coverage")


Edit = Callable[[Path], object]


def _appended(name: str, text: str) -> Edit:
    def edit(root: Path) -> None:
        path = root / name
        path.write_text(f"{path.read_text()}\n# {text!r}\n")  # still valid TOML and Python

    return edit


def _variable(name: str, value: str) -> Edit:
    def edit(root: Path) -> None:
        os.environ[name] = value

    return edit


def _installed(version: str) -> Edit:
    def edit(root: Path) -> None:
        site = root / ".nox/toolkit-api-py3.12/lib/python3.12/site-packages"
        (site / "six-1.16.0.dist-info").rename(site / f"six-{version}.dist-info")

    return edit


def _root_pytest_options(text: str) -> Edit:
    def edit(root: Path) -> None:
        options = f"\n[tool.pytest.ini_options]\naddopts = {text!r}\n".replace("\\", "")
        (root / "pyproject.toml").write_text(FILES["pyproject.toml"] + options)

    return edit


def _relocked(version: str) -> Edit:
    """A lock that pins the package's dependency anew: the sessions sync the
    environment from it before the key is made."""

    def edit(root: Path) -> None:
        (root / "uv.lock").write_text(f"version = 1\n# six {version}\n")
        _installed(version)(root)

    return edit


def _created(name: str, text: str) -> Edit:
    def edit(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)

    return edit


def _deleted(name: str) -> Edit:
    return lambda root: (root / name).unlink()


def _touched(name: str) -> Edit:
    def edit(root: Path) -> None:
        os.utime(root / name, (1, 1))

    return edit


_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=20)

input_edits = st.one_of(
    st.builds(_appended, st.sampled_from(INPUT_FILES), _TEXT),
    st.builds(
        _deleted, st.sampled_from([n for n in INPUT_FILES if n != "apps/api/pyproject.toml"])
    ),
    st.builds(
        _created,
        st.sampled_from(
            [
                "apps/api/tests/unit/test_new.py",
                "apps/api/tests/unit/local_new.py",
                "apps/conftest.py",
            ]
        ),
        _TEXT,
    ),
    st.builds(_variable, st.sampled_from(VARIABLES), _TEXT),
    st.builds(_installed, st.sampled_from(["1.17.0", "1.16.1"])),
    st.builds(_root_pytest_options, _TEXT),
    st.builds(_relocked, st.sampled_from(["1.17.0", "1.16.1"])),
)
output_only_edits = st.one_of(
    st.builds(_created, st.sampled_from(OUTPUT_WRITES[3:]), _TEXT),
    st.builds(_touched, st.sampled_from(INPUT_FILES + OUTPUT_WRITES[:3])),
)


@pytest.fixture
def clean_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(edit=input_edits)
def test_any_change_to_what_a_run_reads_reruns_it(clean_variables: None, edit: Edit) -> None:
    with _repository() as root:
        try:
            _passing_run(root, 1)
            assert _replays(root)  # the run's own outputs changed nothing

            edit(root)

            assert not _replays(root)
        finally:
            for name in VARIABLES:
                os.environ.pop(name, None)


@_SETTINGS
@given(edits=st.lists(output_only_edits, min_size=1, max_size=4))
def test_what_runs_and_tools_write_never_reruns_it(
    clean_variables: None, edits: list[Edit]
) -> None:
    with _repository() as root:
        _passing_run(root, 1)
        _passing_run(root, 2)  # a second run writes its outputs again

        for edit in edits:
            edit(root)

        assert _replays(root)
