"""The result cache as an attacker or an unlucky user meets it: every way a failing
suite was once replayed as passing, each run with the README's commands on a package
written the way people write them. Each must end in pytest's own verdict: failed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.sessions.conftest import NOXFILE, run_nox, write_files
from toolkit.host.cache import entries

pytestmark = pytest.mark.slow

UNIT = "unit(app)"
FILES = {
    "pyproject.toml": '[tool.toolkit]\npackages = ["app"]\n',
    ".gitignore": ".nox/\nreports/\n__pycache__/\n",
    "noxfile.py": NOXFILE,
    "shared/test_target.py": """\
        def test_shared_rule():
            assert 1 + 1 == 2
    """,
    "app/pyproject.toml": """\
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "app"
        version = "1.0"

        [dependency-groups]
        test = ["pytest>=8"]

        [tool.coverage.report]
        fail_under = 0
    """,
    "app/src/app/__init__.py": "def double(x):\n    return 2 * x\n",
    "app/tests/unit/conftest.py": """\
        import time
        from pathlib import Path

        def pytest_sessionfinish(session):
            # the app's own report, written into its folder at every run
            Path(__file__).parents[2].joinpath("last-run.txt").write_text(str(time.time()))
    """,
    "app/tests/unit/test_double.py": """\
        from app import double

        def test_double():
            assert double(2) == 4
    """,
}
FAILING = "def test_fail():\n    assert False\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=u", "-c", "user.email=u@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write_files(root, FILES)
    (root / "app/tests/unit/test_linked.py").symlink_to(root / "shared/test_target.py")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "start")
    return root


def _run(nox: Path, repo: Path, cache: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_nox(nox, repo, "-s", UNIT, TOOLKIT_CACHE_DIR=str(cache), **env)


def _cached(result: subprocess.CompletedProcess[str]) -> bool:
    return f"{UNIT}: cached (key " in result.stderr


def _failed_by_pytest(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0, result.stderr[-2000:]
    assert not _cached(result)
    assert "1 failed" in result.stdout, result.stdout[-2000:]


def test_a_failing_suite_is_never_replayed_as_passing(
    nox_without_toolkit: Path, repo: Path, tmp_path: Path
) -> None:
    nox, mine = nox_without_toolkit, tmp_path / "my-cache"
    first = _run(nox, repo, mine)
    second = _run(nox, repo, mine)
    assert first.returncode == 0 and second.returncode == 0, second.stderr[-2000:]
    # the suite's own last-run.txt changed between the runs: its output, not an input
    assert _cached(second), second.stderr[-2000:]

    # 1. a failing test file git ignores: pytest collects it all the same
    (repo / ".git/info/exclude").write_text("test_scratch.py\n")
    (repo / "app/tests/unit/test_scratch.py").write_text(FAILING)
    ignored = _run(nox, repo, mine)
    _failed_by_pytest(ignored)
    assert f"{UNIT}: not cached: app/tests/unit/test_scratch.py added" in ignored.stderr
    (repo / "app/tests/unit/test_scratch.py").unlink()

    # 2. a plain run after a run that deselected the failing test
    (repo / "app/tests/unit/test_fail.py").write_text(FAILING)
    deselect = {"PYTEST_ADDOPTS": "--deselect=tests/unit/test_fail.py::test_fail"}
    assert _run(nox, repo, mine, **deselect).returncode == 0
    plain = _run(nox, repo, mine)
    _failed_by_pytest(plain)
    assert "PYTEST_ADDOPTS unset" in plain.stderr
    (repo / "app/tests/unit/test_fail.py").unlink()

    # 3. a test file linked in from outside the package, whose target now fails
    assert _cached(_run(nox, repo, mine))
    target = repo / "shared/test_target.py"
    target.write_text(target.read_text().replace("== 2", "== 3"))
    linked = _run(nox, repo, mine)
    _failed_by_pytest(linked)
    assert "app/tests/unit/test_linked.py changed" in linked.stderr


def _forge_plain_entry(cache: Path, author_secret: bytes) -> str:
    """What a repository's author can do with entries of their own: take the entry of
    a run that deselected the failing test and sign it anew as a plain run's."""
    folder = next(path for path in cache.iterdir() if len(path.name) == 64)
    document = json.loads((folder / "entry.json").read_text())
    made = entries.Entry(**document["entry"])
    inputs = {**made.inputs, "variables": {}}
    forged = entries.Entry(entries.key_of(inputs), made.head, inputs, made.outputs)
    reports = {name: folder / name for name in made.files}
    assert entries.write(cache, forged, reports, author_secret)
    shutil.rmtree(folder)
    return forged.key


def test_entries_a_repository_commits_are_never_replayed(
    nox_without_toolkit: Path, repo: Path, tmp_path: Path
) -> None:
    nox, author = nox_without_toolkit, tmp_path / "author-cache"
    (repo / "app/tests/unit/test_fail.py").write_text(FAILING)
    deselect = {"PYTEST_ADDOPTS": "--deselect=tests/unit/test_fail.py::test_fail"}
    assert _run(nox, repo, author, **deselect).returncode == 0
    results = repo / ".nox/toolkit-results"
    forged = _forge_plain_entry(results, (author / "result-cache.key").read_bytes().strip())
    _git(repo, "add", "-A")
    _git(repo, "add", "-f", ".nox/toolkit-results")
    _git(repo, "commit", "-qm", "cache the results")

    # A fresh clone at the same path, as on a CI runner.
    authors_copy = repo.with_name("authors-copy")
    repo.rename(authors_copy)
    _git(authors_copy.parent, "clone", "-q", str(authors_copy), str(repo))
    assert (repo / ".nox/toolkit-results" / forged / "entry.json").is_file()

    tracked = _run(nox, repo, author)  # even on the author's own machine
    _failed_by_pytest(tracked)
    assert "holds files git tracks: nothing in it is replayed" in tracked.stderr

    _git(repo, "rm", "-r", "-q", "--cached", ".nox/toolkit-results")
    assert (repo / ".nox/toolkit-results" / forged).is_dir()
    os.chmod(repo / ".nox/toolkit-results", 0o700)
    elsewhere = _run(nox, repo, tmp_path / "victim-cache")
    _failed_by_pytest(elsewhere)
    assert f"entry {forged[:12]} was not signed with this user's secret" in elsewhere.stderr
