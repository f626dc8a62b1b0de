"""The result cache's key, store and replay, without nox: each input that can change a
layer's result changes its key, and nothing else does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

import toolkit
from tests.unit.host.test_config import _write
from toolkit.host import cache
from toolkit.host.cache import entries
from toolkit.host.config import load_config
from toolkit.host.environment import PackageEnv
from toolkit.host.run import Run
from toolkit.host.shards import Shard

ROOT = """\
[tool.toolkit]
packages = ["libs/*", "apps/*"]
constraints = "constraints.txt"

[tool.toolkit.env]
REGION = "eu"
"""

CORE = """\
[project]
name = "core"
version = "1"
"""

API = """\
[project]
name = "api"
version = "1"
dependencies = ["core"]

[dependency-groups]
test = ["pytest>=8"]
"""


class SessionError(Exception):
    """What nox's ``session.error`` raises, for these tests."""


class _Session:
    """The parts of a nox session the cache reads."""

    def __init__(self, *posargs: str, no_install: bool = False) -> None:
        self.posargs = list(posargs)
        self._runner = SimpleNamespace(global_config=SimpleNamespace(no_install=no_install))

    def error(self, message: str) -> None:
        raise SessionError(message)

    def log(self, message: str) -> None:
        pass


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _environment(root: Path, package: str) -> None:
    """A package environment as an earlier run left it: built on this interpreter."""
    location = root / ".nox" / f"toolkit-{package}-py3.12"
    (location / "bin").mkdir(parents=True)
    (location / "bin" / "python").symlink_to(sys.executable)
    (location / "pyvenv.cfg").write_text("home = /usr/bin\nversion_info = 3.12.1\n")
    stamp = {"interpreter": sys.executable, "stamp": "recorded"}
    (location / ".toolkit-stamp").write_text(json.dumps(stamp))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    _write(
        root,
        {
            "pyproject.toml": ROOT,
            "constraints.txt": "six==1.16.0\n",
            ".gitignore": ".nox/\nreports/\n*.log\n",
            "libs/core/pyproject.toml": CORE,
            "libs/core/src/core/__init__.py": "ANSWER = 42\n",
            "apps/api/pyproject.toml": API,
            "apps/api/src/api/__init__.py": "from core import ANSWER\n",
            "apps/api/tests/unit/test_api.py": "def test_answer():\n    assert True\n",
            "apps/api/tests/integration/test_db.py": "def test_db():\n    assert True\n",
        },
    )
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    _environment(root, "api")
    _environment(root, "core")
    return root


def _key(
    root: Path, layer: str = "unit", *posargs: str, shard: Shard | None = None, **kwargs: bool
) -> str:
    config = load_config(root)
    env = PackageEnv(root / ".nox" / "toolkit-api-py3.12")
    slot = cache.lookup(
        _Session(*posargs, **kwargs), Run(config), config.package("api"), env, None, layer, shard
    )
    assert slot is not None
    return slot.key


def _edit(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_the_same_inputs_give_the_same_key(repo: Path) -> None:
    assert _key(repo) == _key(repo)


def test_a_changed_test_file_changes_the_key_even_uncommitted(repo: Path) -> None:
    before = _key(repo)

    _edit(repo / "apps/api/tests/unit/test_api.py", "\n\ndef test_more():\n    pass\n")

    assert _key(repo) != before


@pytest.mark.parametrize(
    "name",
    [
        "apps/api/tests/unit/test_new.py",
        "apps/api/debug.log",  # ignored by .gitignore: pytest may still read it
        "apps/api/tests/unit/test_ignored.py",  # ignored by .git/info/exclude
    ],
)
def test_a_new_file_changes_the_key_whatever_git_ignores(repo: Path, name: str) -> None:
    (repo / ".git/info/exclude").write_text("test_ignored.py\n")
    before = _key(repo)

    (repo / name).write_text("def test_new():\n    assert False\n")

    assert _key(repo) != before


def test_tool_folders_and_compiled_files_are_left_out(repo: Path) -> None:
    before = _key(repo)

    (repo / "apps/api/src/api/__pycache__").mkdir()
    (repo / "apps/api/src/api/__pycache__/x.cpython-312.pyc").write_bytes(b"\0")
    (repo / "apps/api/.pytest_cache").mkdir()
    (repo / "apps/api/.pytest_cache/v").write_text("written by every run\n")
    (repo / "apps/api/.coverage").write_text("")
    (repo / "apps/api/src/api.egg-info").mkdir()
    (repo / "apps/api/src/api.egg-info/PKG-INFO").write_text("Name: api\n")
    (repo / "apps/api/env-of-mine").mkdir()  # a virtual environment under any name
    (repo / "apps/api/env-of-mine/pyvenv.cfg").write_text("home = /usr/bin\n")
    (repo / "apps/api/env-of-mine/bin").mkdir()
    (repo / "apps/api/env-of-mine/bin/python").symlink_to(sys.executable)
    (repo / "apps/api/env-of-mine/lib.py").write_text("x = 1\n")

    assert _key(repo) == before


@pytest.mark.parametrize(
    "name",
    [
        "apps/api/tests/fixtures/old_env/expected_version.txt",  # beside a pyvenv.cfg
        "apps/api/src/api/legacy.pyc",  # importable without its source
    ],
)
def test_data_that_looks_like_a_tool_file_counts(repo: Path, name: str) -> None:
    (repo / "apps/api/tests/fixtures/old_env").mkdir(parents=True)
    (repo / "apps/api/tests/fixtures/old_env/pyvenv.cfg").write_text("version = 3.8.0\n")
    before = _key(repo)

    (repo / name).write_text("3.8.0\n")

    assert _key(repo) != before


def test_a_one_package_apps_own_reports_package_counts(repo: Path) -> None:
    """The toolkit writes its reports under reports/; an app whose package is named
    reports still has its code counted."""
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "sales"\nversion = "1"\n[tool.toolkit]\npython = "3.12"\n'
    )
    (repo / "reports").mkdir()
    (repo / "reports/__init__.py").write_text("def total(x):\n    return sum(x)\n")
    config = load_config(repo)
    env = PackageEnv(repo / ".nox" / "toolkit-api-py3.12")
    package = config.packages[0]
    before = cache.lookup(_Session(), Run(config), package, env, None, "unit", None)

    (repo / "reports/__init__.py").write_text("def total(x):\n    return 0\n")

    after = cache.lookup(_Session(), Run(config), package, env, None, "unit", None)
    assert before is not None and after is not None and after.key != before.key


def test_times_do_not_change_the_key_contents_do(repo: Path) -> None:
    before = _key(repo)
    source = repo / "apps/api/src/api/__init__.py"

    os.utime(source, (1, 1))
    assert _key(repo) == before

    source.write_text("from core import ANSWER as answer\n")
    assert _key(repo) != before


def test_a_changed_dependency_source_changes_the_key(repo: Path) -> None:
    before = _key(repo)

    (repo / "libs/core/src/core/__init__.py").write_text("ANSWER = 43\n")

    assert _key(repo) != before


def test_root_files_count_by_what_reaches_the_run(repo: Path) -> None:
    """A lock or constraints file reaches a run through the environment it builds (what
    is installed counts); a root pyproject through its pytest and coverage tables and
    the sessions' settings. Another package's pins or a comment rerun nothing."""
    before = _key(repo)

    (repo / "constraints.txt").write_text("six==1.17.0\n")
    (repo / "uv.lock").write_text("version = 1\n")
    _edit(repo / "pyproject.toml", "\n[tool.ruff]\nline-length = 100\n")
    assert _key(repo) == before

    _edit(repo / "pyproject.toml", '\n[tool.pytest.ini_options]\naddopts = "-p no:cacheprovider"\n')
    assert _key(repo) != before


def test_a_changed_requirement_changes_the_key(repo: Path) -> None:
    before = _key(repo)

    _edit(repo / "libs/core/pyproject.toml", 'dependencies = ["httpx"]\n')

    assert _key(repo) != before


def test_the_installed_versions_change_the_key(repo: Path) -> None:
    """Without a lock, a rebuilt environment may hold a newer release: what is
    installed counts, not only what was asked for."""
    site = repo / ".nox/toolkit-api-py3.12/lib/python3.12/site-packages"
    (site / "httpx-0.27.0.dist-info").mkdir(parents=True)
    before = _key(repo)

    (site / "httpx-0.27.0.dist-info").rename(site / "httpx-0.28.1.dist-info")
    assert _key(repo) != before
    (site / "httpx-0.28.1.dist-info").rename(site / "httpx-0.27.0.dist-info")
    assert _key(repo) == before

    (site / "coverage_hook.pth").write_text("import sitecustom_hook\n")  # runs at every start
    assert _key(repo) != before


def test_an_env_value_in_the_root_config_changes_the_key(repo: Path) -> None:
    before = _key(repo)

    (repo / "pyproject.toml").write_text(ROOT.replace('REGION = "eu"', 'REGION = "us"'))

    assert _key(repo) != before


def test_the_toolkit_version_changes_the_key(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _key(repo)

    monkeypatch.setattr(toolkit, "__version__", "99.0.0")
    cache._toolkit_identity.cache_clear()
    try:
        assert _key(repo) != before
    finally:
        monkeypatch.undo()
        cache._toolkit_identity.cache_clear()


def test_the_python_the_root_config_asks_for_changes_the_key(repo: Path) -> None:
    before = _key(repo)

    (repo / "pyproject.toml").write_text(
        ROOT.replace("[tool.toolkit]\n", '[tool.toolkit]\npython = "3.13"\n')
    )

    assert _key(repo) != before


def test_the_interpreter_version_changes_the_key(repo: Path) -> None:
    before = _key(repo)

    cfg = repo / ".nox/toolkit-api-py3.12/pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace("3.12.1", "3.12.2"))

    assert _key(repo) != before


def test_the_environment_stamp_changes_the_key(repo: Path) -> None:
    before = _key(repo)

    stamp = repo / ".nox/toolkit-api-py3.12/.toolkit-stamp"
    stamp.write_text(stamp.read_text().replace("recorded", "rebuilt"))

    assert _key(repo) != before


def test_pytest_arguments_change_the_key_the_toolkits_own_do_not(repo: Path) -> None:
    before = _key(repo)

    assert _key(repo, "unit", "-k", "answer") != before
    assert _key(repo, "unit", "--changed-since=main") == before


def test_the_seed_is_in_the_key_only_when_it_is_set(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _key(repo)

    monkeypatch.setenv("TOOLKIT_SEED", "1")
    first = _key(repo)
    monkeypatch.setenv("TOOLKIT_SEED", "2")

    assert first != before
    assert _key(repo) != first


def test_the_postgres_major_is_in_the_integration_key_only(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit, integration = _key(repo, "unit"), _key(repo, "integration")

    monkeypatch.setenv("TOOLKIT_POSTGRES_VERSION", "16")

    assert _key(repo, "unit") == unit
    assert _key(repo, "integration") != integration


def test_each_shard_has_its_own_key(repo: Path) -> None:
    assert _key(repo, shard=Shard(1, 2)) != _key(repo, shard=Shard(2, 2))


@pytest.mark.parametrize(
    ("posargs", "environ"),
    [
        pytest.param(("--no-cache",), {}, id="--no-cache"),
        pytest.param((), {"TOOLKIT_CACHE": "0"}, id="TOOLKIT_CACHE=0"),
        pytest.param((), {"TOOLKIT_STORE_DURATIONS": "1"}, id="recording-durations"),
    ],
)
def test_the_cache_can_be_turned_off(
    repo: Path, monkeypatch: pytest.MonkeyPatch, posargs: tuple[str, ...], environ: dict[str, str]
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = load_config(repo)

    env = PackageEnv(repo / ".nox" / "toolkit-api-py3.12")
    slot = cache.lookup(
        _Session(*posargs), Run(config), config.package("api"), env, None, "unit", None
    )

    assert slot is None


def _slot(repo: Path) -> cache.Slot:
    config = load_config(repo)
    env = PackageEnv(repo / ".nox" / "toolkit-api-py3.12")
    slot = cache.lookup(_Session(), Run(config), config.package("api"), env, None, "unit", None)
    assert slot is not None
    return slot


def test_a_stored_result_is_replayed_into_the_reports(repo: Path) -> None:
    slot = _slot(repo)
    reports = repo / "reports"
    reports.mkdir()
    junit, data = reports / "junit-unit.xml", reports / "unit.coverage"
    junit.write_text('<testsuites><testsuite tests="1"/></testsuites>')
    data.write_bytes(b"coverage data")

    assert not slot.replay(junit, data)  # nothing stored yet
    assert slot.store(junit, data, interpreter=sys.executable)
    junit.unlink()
    data.unlink()

    assert _slot(repo).replay(junit, data)
    assert junit.read_text() == '<testsuites><testsuite tests="1"/></testsuites>'
    assert data.read_bytes() == b"coverage data"
    stored = sorted(path.name for path in slot.cache.iterdir())
    assert stored == sorted([slot.key, "heads"])  # no staging left


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda entry: (entry / "data.coverage").unlink(), id="coverage-data-lost"),
        pytest.param(
            lambda entry: (entry / "junit.xml").write_text("<testsuites"), id="junit-cut-short"
        ),
        pytest.param(lambda entry: (entry / "entry.json").unlink(), id="record-lost"),
    ],
)
def test_an_entry_that_is_not_whole_is_dropped_and_the_layer_runs(
    repo: Path, damage: Callable[[Path], object]
) -> None:
    """A replay without its coverage data would pass a package whose threshold nobody
    checked."""
    slot = _slot(repo)
    junit, data = repo / "junit.xml", repo / "unit.coverage"
    junit.write_text('<testsuites><testsuite tests="1"/></testsuites>')
    data.write_bytes(b"coverage data")
    assert slot.store(junit, data, interpreter=sys.executable)
    junit.unlink()
    data.unlink()

    damage(slot.entry)

    assert not slot.replay(junit, data)
    assert not junit.exists() and not data.exists()
    assert not slot.entry.exists()


def test_a_result_made_on_another_interpreter_is_not_stored(repo: Path) -> None:
    slot = _slot(repo)
    junit = repo / "junit.xml"
    junit.write_text("<testsuites/>")

    assert not slot.store(junit, repo / "none.coverage", interpreter="/usr/bin/python3.13")
    assert not slot.replay(junit, repo / "none.coverage")


def test_the_cache_keeps_the_most_recently_used_entries(repo: Path) -> None:
    slot = _slot(repo)
    for index in range(5):
        entry = slot.cache / f"{index:064x}"
        entry.mkdir()
        os.utime(entry, (index, index))

    entries.prune(slot.cache, keep=2)

    assert sorted(path.name for path in slot.cache.iterdir()) == [
        f"{3:064x}",
        f"{4:064x}",
    ]


def test_a_cache_folder_others_can_write_is_refused(repo: Path) -> None:
    folder = repo / ".nox" / "toolkit-results"
    folder.mkdir(mode=0o700)
    folder.chmod(0o777)

    with pytest.raises(SessionError, match="writable by other users.*TOOLKIT_CACHE=0"):
        _slot(repo)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder away")
def test_a_cache_folder_of_another_user_is_refused(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = repo / "elsewhere"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    monkeypatch.setenv("TOOLKIT_RESULT_CACHE_DIR", str(folder))

    with pytest.raises(SessionError, match="belongs to uid 65534"):
        _slot(repo)


def test_the_cache_folder_can_be_moved(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLKIT_RESULT_CACHE_DIR", str(tmp_path / "ci-cache" / "results"))

    assert _slot(repo).cache == tmp_path / "ci-cache" / "results"


def test_a_symlinked_test_file_counts_by_its_targets_content(repo: Path) -> None:
    """The link's text stays the same when its target outside the package fails."""
    target = repo / "shared/test_shared.py"
    target.parent.mkdir()
    target.write_text("def test_shared():\n    assert True\n")
    (repo / "apps/api/tests/unit/test_shared.py").symlink_to(target)
    before = _key(repo)

    target.write_text("def test_shared():\n    assert False\n")

    assert _key(repo) != before


def test_a_symlinked_folder_counts_by_its_files_and_a_loop_ends(repo: Path) -> None:
    outside = repo.parent / "outside-tests"
    outside.mkdir()
    (outside / "test_outside.py").write_text("def test_x():\n    assert True\n")
    (outside / "loop").symlink_to(outside)  # a folder linking to itself
    (repo / "apps/api/tests/unit/linked").symlink_to(outside)
    before = _key(repo)

    (outside / "test_outside.py").write_text("def test_x():\n    assert False\n")

    assert _key(repo) != before


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("conftest.py", "import os\n"),
        ("apps/conftest.py", "import os\n"),
        ("pytest.ini", "[pytest]\n"),
        ("apps/setup.cfg", "[tool:pytest]\naddopts = -x\n"),
        ("tox.ini", "[pytest]\naddopts = -x\n"),
    ],
)
def test_configuration_above_the_package_changes_the_key(repo: Path, name: str, text: str) -> None:
    before = _key(repo)

    (repo / name).write_text(text)

    assert _key(repo) != before


def test_what_pytest_does_not_read_above_the_package_leaves_the_key_alone(repo: Path) -> None:
    """coverage reads its settings in the package's folder only; pytest stops at the
    first ini-file and loads conftests from its folder down."""
    (repo / "apps/pytest.ini").write_text("[pytest]\n")
    before = _key(repo)

    (repo / "tox.ini").write_text("[flake8]\nmax-line-length = 100\n")  # no [pytest]
    (repo / ".coveragerc").write_text("[run]\nbranch = True\n")
    (repo / "conftest.py").write_text("raise SystemExit(3)\n")  # above the rootdir

    assert _key(repo) == before
    (repo / "apps/conftest.py").write_text("import os\n")  # below it: loaded
    assert _key(repo) != before


@pytest.mark.parametrize(
    "name",
    [
        "PYTEST_ADDOPTS",
        "PYTEST_PLUGINS",
        "PYTHONPATH",
        "PYTHONHASHSEED",
        "COVERAGE_CORE",
        "COV_CORE_SOURCE",
        "LANG",
        "TZ",
        "CI",
    ],
)
def test_variables_that_change_a_run_change_the_key(
    repo: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delenv(name, raising=False)
    before = _key(repo)

    monkeypatch.setenv(name, "1")

    assert _key(repo) != before


def test_other_variables_leave_the_key_alone(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _key(repo)

    monkeypatch.setenv("GITHUB_RUN_ID", "123")
    monkeypatch.setenv("TERM", "dumb")

    assert _key(repo) == before


def _reports(repo: Path) -> tuple[Path, Path]:
    reports = repo / "reports"
    reports.mkdir(exist_ok=True)
    junit, data = reports / "junit-unit.xml", reports / "unit.coverage"
    junit.write_text('<testsuites><testsuite tests="1"/></testsuites>')
    data.write_bytes(b"coverage data")
    return junit, data


def test_what_a_run_writes_in_its_package_does_not_change_the_next_key(repo: Path) -> None:
    """An app's own addopts writing coverage.xml, a log, egg-info: no .gitignore line
    is needed to get a hit."""
    junit, data = _reports(repo)
    slot = _slot(repo)

    (repo / "apps/api/coverage.xml").write_text("<coverage at='1'/>")  # the run writes...
    (repo / "apps/api/logs").mkdir()
    (repo / "apps/api/logs/run.log").write_text("run 1\n")
    assert slot.store(junit, data, interpreter=sys.executable)

    again = _slot(repo)
    assert again.replay(junit, data), again.why_not()
    assert set(again.outputs) == {"apps/api/coverage.xml", "apps/api/logs/run.log"}


def test_a_file_there_before_and_changed_by_one_run_is_only_a_candidate(repo: Path) -> None:
    """Someone saving a data file the tests read while they run looks like a run
    rewriting its report: the first time, the run is not stored; a file that a second
    run changes too is the runs' output."""
    junit, data = _reports(repo)
    expected = repo / "apps/api/tests/unit/expected.json"
    expected.write_text('{"ok": true}')
    slot = _slot(repo)

    expected.write_text('{"ok": false}')  # saved while the tests ran

    assert not slot.store(junit, data, interpreter=sys.executable)
    assert slot.note.startswith("apps/api/tests/unit/expected.json changed while the tests ran")
    second = _slot(repo)
    assert not second.replay(junit, data)
    assert second.store(junit, data, interpreter=sys.executable)  # the file left alone
    third = _slot(repo)
    expected.write_text('{"ok": true}')  # saved during a run again
    assert not third.store(junit, data, interpreter=sys.executable)
    assert not _slot(repo).replay(junit, data)


def test_a_report_the_runs_rewrite_is_their_output_from_the_second_run(repo: Path) -> None:
    """A coverage.xml from a plain pytest run before the sessions: the first run that
    rewrites it is not stored, the second is, the third replays."""
    junit, data = _reports(repo)
    report = repo / "apps/api/coverage.xml"
    report.write_text("<coverage run='plain'/>")
    for run in (1, 2):
        slot = _slot(repo)
        report.write_text(f"<coverage run='{run}'/>")
        assert slot.store(junit, data, interpreter=sys.executable) == (run == 2), slot.note

    assert _slot(repo).replay(junit, data)


def test_a_test_saved_during_a_run_is_never_an_output(repo: Path) -> None:
    """The saved test counts by its content at the next run, whatever runs of other
    layers record meanwhile."""
    junit, data = _reports(repo)
    test = repo / "apps/api/tests/unit/test_api.py"
    assert _slot(repo).store(junit, data, interpreter=sys.executable)

    for content in ("    assert 1\n", "    assert 0\n"):  # saved during two runs
        slot = _layer_slot(repo, "integration")
        _edit(test, content)
        assert not slot.store(junit, data, interpreter=sys.executable)

    unit = _slot(repo)
    assert not unit.replay(junit, data)
    assert "apps/api/tests/unit/test_api.py changed" in unit.why_not()


def test_an_output_edited_after_its_run_changes_the_key(repo: Path) -> None:
    """A snapshot file the run wrote, then edited by hand: pytest would read it."""
    junit, data = _reports(repo)
    slot = _slot(repo)
    (repo / "apps/api/tests/unit/snapshot.json").write_text('{"total": 3}')
    assert slot.store(junit, data, interpreter=sys.executable)

    (repo / "apps/api/tests/unit/snapshot.json").write_text('{"total": 4}')
    again = _slot(repo)

    assert not again.replay(junit, data)
    assert again.why_not() == "apps/api/tests/unit/snapshot.json changed since the run wrote it"


def test_a_run_during_which_a_test_file_changed_is_not_stored(repo: Path) -> None:
    """Someone saving a test while the tests run: the result is of the old file."""
    junit, data = _reports(repo)
    slot = _slot(repo)

    _edit(repo / "apps/api/tests/unit/test_api.py", "\ndef test_new():\n    assert False\n")

    assert not slot.store(junit, data, interpreter=sys.executable)
    assert slot.note == "apps/api/tests/unit/test_api.py changed while the tests ran"
    assert not _slot(repo).replay(junit, data)


def test_a_miss_names_what_changed_since_the_newest_entry(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    junit, data = _reports(repo)
    assert _slot(repo).store(junit, data, interpreter=sys.executable)

    _edit(repo / "apps/api/tests/unit/test_api.py", "# edited\n")
    monkeypatch.setenv("PYTEST_ADDOPTS", "--deselect=tests/unit/test_api.py::test_answer")
    (repo / "apps/api/tests/unit/test_new.py").write_text("")
    (repo / "apps/api/src/api/__init__.py").unlink()
    slot = _slot(repo)

    assert not slot.replay(junit, data)
    assert slot.why_not() == (
        "apps/api/src/api/__init__.py removed, apps/api/tests/unit/test_api.py changed, "
        "apps/api/tests/unit/test_new.py added and 1 more"
    )
    monkeypatch.undo()


def test_a_first_run_says_nothing_is_stored_yet(repo: Path) -> None:
    slot = _slot(repo)

    assert not slot.replay(*_reports(repo))
    assert slot.why_not() == "no passing run of it is stored yet (failing runs are never stored)"


def test_a_cache_folder_git_tracks_is_not_used(repo: Path) -> None:
    """A repository that committed entries: a fresh clone must not replay them."""
    junit, data = _reports(repo)
    assert _slot(repo).store(junit, data, interpreter=sys.executable)
    _git(repo, "add", "-f", ".nox/toolkit-results")
    cache._tracked_by_git.cache_clear()

    config = load_config(repo)
    env = PackageEnv(repo / ".nox" / "toolkit-api-py3.12")
    logged: list[str] = []
    session = _Session()
    session.log = logged.append  # type: ignore[method-assign]

    assert (
        cache.lookup(session, Run(config), config.package("api"), env, None, "unit", None) is None
    )
    assert "holds files git tracks" in logged[0]
    assert "git rm -r --cached .nox/toolkit-results" in logged[0]


def test_a_fifo_or_device_in_the_package_does_not_hang_the_key(repo: Path) -> None:
    os.mkfifo(repo / "apps/api/tests/unit/pipe")
    (repo / "apps/api/tests/unit/zeros").symlink_to("/dev/zero")

    assert _key(repo)


def _layer_slot(repo: Path, layer: str) -> cache.Slot:
    config = load_config(repo)
    env = PackageEnv(repo / ".nox" / "toolkit-api-py3.12")
    slot = cache.lookup(_Session(), Run(config), config.package("api"), env, None, layer, None)
    assert slot is not None
    return slot


def test_an_output_both_layers_write_costs_neither_its_hit(repo: Path) -> None:
    """An app's addopts write coverage.xml in each layer: the file is always as the
    other layer's run left it."""
    junit, data = _reports(repo)
    for run in (1, 2):
        for layer in ("unit", "integration"):
            slot = _layer_slot(repo, layer)
            (repo / "apps/api/coverage.xml").write_text(f"<coverage run='{run}' {layer}/>")
            slot.record_outputs()
            assert slot.store(junit, data, interpreter=sys.executable)

    for layer in ("unit", "integration"):
        slot = _layer_slot(repo, layer)
        assert slot.replay(junit, data), slot.why_not()


SITE = ".nox/toolkit-api-py3.12/lib/python3.12/site-packages"


def test_another_build_of_the_same_version_changes_the_key(repo: Path) -> None:
    """A git dependency resolving to a new commit keeps its version: its RECORD (the
    hash of every file installed) tells the builds apart."""
    record = repo / SITE / "cowsay-1.0.2.dist-info/RECORD"
    record.parent.mkdir(parents=True)
    record.write_text("cowsay.py,sha256=aaa,10\n")
    before = _key(repo)

    record.write_text("cowsay.py,sha256=bbb,12\n")

    assert _key(repo) != before


def test_a_module_dropped_into_site_packages_changes_the_key(repo: Path) -> None:
    (repo / SITE).mkdir(parents=True)
    before = _key(repo)

    (repo / SITE / "sitecustomize.py").write_text("raise SystemExit(1)\n")

    assert _key(repo) != before


def test_a_folder_installed_editable_from_outside_counts_by_its_files(repo: Path) -> None:
    """An older app's requirements.txt with -e ../shared: that code runs as its own."""
    shared = repo / "shared"
    (shared / "shared").mkdir(parents=True)
    (shared / "shared/__init__.py").write_text("ANSWER = 42\n")
    info = repo / SITE / "shared-0.1.dist-info/direct_url.json"
    info.parent.mkdir(parents=True)
    info.write_text(json.dumps({"url": shared.as_uri(), "dir_info": {"editable": True}}))
    before = _key(repo)

    (shared / "shared/__init__.py").write_text("ANSWER = 41\n")

    assert _key(repo) != before


def test_a_miss_is_explained_against_the_nearest_stored_run(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After trying a variable and going back, the newest entry would blame the
    variable's return, and hide the edit that really made the run miss."""
    junit, data = _reports(repo)
    assert _slot(repo).store(junit, data, interpreter=sys.executable)
    monkeypatch.setenv("PYTEST_PLUGINS", "xdist")
    assert _slot(repo).store(junit, data, interpreter=sys.executable)
    monkeypatch.delenv("PYTEST_PLUGINS")

    _edit(repo / "apps/api/tests/unit/test_api.py", "# edited\n")
    slot = _slot(repo)

    assert not slot.replay(junit, data)
    assert slot.why_not() == "apps/api/tests/unit/test_api.py changed"


def test_bytecode_a_run_writes_in_site_packages_leaves_the_key_alone(repo: Path) -> None:
    (repo / SITE).mkdir(parents=True)
    (repo / SITE / "six.py").write_text("")
    before = _key(repo)

    (repo / SITE / "__pycache__").mkdir()
    (repo / SITE / "__pycache__/six.cpython-312.pyc").write_bytes(b"\0")

    assert _key(repo) == before
