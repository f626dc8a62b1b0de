"""The result cache as a repository's users meet it: a uv workspace of two packages (a
library and an app that depends on it, with a database test) and one that stands
alone, run with the README's commands."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import leftovers
from tests.integration.sessions.conftest import NOXFILE, run_nox, user_environ, write_files
from tests.integration.sessions.test_package_environments import UV, _member
from tests.integration.sessions.test_package_environments import WORKSPACE as LOCKED_WORKSPACE

pytestmark = pytest.mark.slow

WORKSPACE = {
    "pyproject.toml": LOCKED_WORKSPACE["pyproject.toml"],  # its lock pins six<1.17
    ".gitignore": ".nox/\nreports/\n__pycache__/\n",
    "noxfile.py": NOXFILE,
    "packages/prices/pyproject.toml": _member("prices", '"six"')
    + "\n[tool.coverage.report]\nfail_under = 50\n",
    "packages/prices/src/prices/__init__.py": """\
        def with_tax(cents: int) -> int:
            return cents * 120 // 100
    """,
    "packages/prices/tests/unit/test_prices.py": """\
        from prices import with_tax

        def test_with_tax():
            assert with_tax(100) == 120
    """,
    "packages/shop/pyproject.toml": _member(
        "shop",
        '"prices", "psycopg[binary]>=3.1"',
        "[tool.uv.sources]\nprices = { workspace = true }\n"
        "[tool.coverage.report]\nfail_under = 50\n",
    ),
    "packages/shop/src/shop/__init__.py": """\
        from prices import with_tax

        def basket(*cents: int) -> int:
            return sum(with_tax(item) for item in cents)
    """,
    "packages/shop/tests/unit/test_basket.py": """\
        from shop import basket

        def test_basket():
            assert basket(100, 200) == 360
    """,
    "packages/shop/tests/integration/test_orders.py": """\
        import os

        import psycopg

        def test_orders_table():
            with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
                connection.execute("create table orders (id serial primary key)")
                assert connection.execute("select count(*) from orders").fetchone() == (0,)
    """,
    "packages/notes/pyproject.toml": _member("notes", "")
    + "\n[tool.coverage.report]\nfail_under = 50\n",
    "packages/notes/src/notes/__init__.py": "TITLE = 'notes'\n",
    "packages/notes/tests/unit/test_notes.py": """\
        from notes import TITLE

        def test_title():
            assert TITLE == "notes"
    """,
}

_SESSION = re.compile(r"^nox > Running session (?P<name>\S+)$")
_CACHED = re.compile(r"^nox > (?P<session>(?:unit|integration)\([^)]+\)): cached \(key \w{12}\)$")
_PYTEST = re.compile(r"^nox > \S+/bin/python -m pytest ")


def _layers(result: subprocess.CompletedProcess[str]) -> tuple[set[str], set[str]]:
    """The layer sessions replayed from the cache, and those that ran pytest."""
    cached: set[str] = set()
    tested: set[str] = set()
    current = ""
    for line in result.stderr.splitlines():
        if match := _SESSION.match(line):
            current = match["name"]
        elif match := _CACHED.match(line):
            cached.add(match["session"])
        elif _PYTEST.match(line) and current.startswith(("unit(", "integration(")):
            tested.add(current)
    return cached, tested


def _misses(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The sessions' own words on each layer that was not replayed."""
    return [line for line in result.stderr.splitlines() if "not cached" in line]


def _passed(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    write_files(tmp_path, WORKSPACE)
    subprocess.run([UV, "lock", "--quiet"], cwd=tmp_path, env=user_environ(), check=True)
    for command in (["init", "-q"], ["add", "."]):
        subprocess.run(["git", *command], cwd=tmp_path, check=True)
    return tmp_path


ALL_UNIT = {"unit(notes)", "unit(prices)", "unit(shop)"}


def test_nothing_changed_replays_every_layer_with_its_reports(
    nox_without_toolkit: Path, workspace: Path, runtime_dir: Path
) -> None:
    server = {"TOOLKIT_RUNTIME_DIR": str(runtime_dir)}
    first = run_nox(nox_without_toolkit, workspace, "-s", "unit", "integration", **server)
    _passed(first)
    first_coverage = json.loads((workspace / "reports/shop/coverage-summary.json").read_text())
    for stale in workspace.glob("reports/*/*"):  # what the second run reports is its own
        if stale.is_file():
            stale.unlink()

    second = run_nox(nox_without_toolkit, workspace, "-s", "unit", "integration", **server)

    _passed(second)
    assert _layers(first) == (set(), {*ALL_UNIT, "integration(shop)"})
    assert _layers(second) == ({*ALL_UNIT, "integration(shop)"}, set()), _misses(second)
    assert "installing into" not in second.stderr and "from uv.lock" not in second.stderr
    assert "starting PostgreSQL" not in second.stderr
    assert "template database" not in second.stderr
    summary = (workspace / "reports/summary.md").read_text()
    assert "| shop | 1 passed, 0 failed (cached) | 1 passed, 0 failed (cached) |" in summary
    assert "| notes | 1 passed, 0 failed (cached) | - |" in summary
    # coverage(<pkg>) combined the replayed data as after a real run
    coverage = json.loads((workspace / "reports/shop/coverage-summary.json").read_text())
    assert coverage["layers"] == ["unit", "integration"]
    assert coverage["percent"] == first_coverage["percent"] == 100.0

    isolation = run_nox(nox_without_toolkit, workspace, "-s", "isolation(notes)")

    _passed(isolation)
    report = json.loads((workspace / "reports/isolation.json").read_text())
    assert report["packages"]["notes"]["runs"]  # its orders ran: no cache there
    assert leftovers(runtime_dir) == []


def test_a_changed_dependency_reruns_it_and_its_dependents_only(
    nox_without_toolkit: Path, workspace: Path
) -> None:
    _passed(run_nox(nox_without_toolkit, workspace, "-s", "unit"))
    source = workspace / "packages/prices/src/prices/__init__.py"
    source.write_text(source.read_text() + "\n\nCURRENCY = 'EUR'\n")  # not committed

    after_library = run_nox(nox_without_toolkit, workspace, "-s", "unit")
    test = workspace / "packages/shop/tests/unit/test_basket.py"
    test.write_text(test.read_text() + "\n\ndef test_empty():\n    assert basket() == 0\n")
    after_test = run_nox(nox_without_toolkit, workspace, "-s", "unit")

    _passed(after_library)
    assert _layers(after_library) == ({"unit(notes)"}, {"unit(prices)", "unit(shop)"}), _misses(
        after_library
    )
    _passed(after_test)
    assert _layers(after_test) == ({"unit(notes)", "unit(prices)"}, {"unit(shop)"})


def test_a_changed_lock_reruns_the_packages_whose_pins_changed(
    nox_without_toolkit: Path, workspace: Path
) -> None:
    _passed(run_nox(nox_without_toolkit, workspace, "-s", "unit"))
    pyproject = workspace / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("six<1.17", "six<1.16"))
    subprocess.run([UV, "lock", "--quiet"], cwd=workspace, env=user_environ(), check=True)

    result = run_nox(nox_without_toolkit, workspace, "-s", "unit")

    _passed(result)
    # notes pins nothing that changed; its pyproject did not change either
    assert _layers(result) == ({"unit(notes)"}, {"unit(prices)", "unit(shop)"})


def test_no_cache_and_toolkit_cache_0_run_the_tests_and_store_nothing(
    nox_without_toolkit: Path, workspace: Path
) -> None:
    no_cache = run_nox(nox_without_toolkit, workspace, "-s", "unit(notes)", "--", "--no-cache")
    switched_off = run_nox(nox_without_toolkit, workspace, "-s", "unit(notes)", TOOLKIT_CACHE="0")
    stored = run_nox(nox_without_toolkit, workspace, "-s", "unit(notes)")
    replayed = run_nox(nox_without_toolkit, workspace, "-s", "unit(notes)")

    for result in (no_cache, switched_off, stored, replayed):
        _passed(result)
    assert _layers(no_cache) == (set(), {"unit(notes)"})
    assert "--no-cache" not in no_cache.stderr.split("-m pytest", 1)[1].splitlines()[0]
    assert _layers(switched_off) == (set(), {"unit(notes)"})
    assert _layers(stored) == (set(), {"unit(notes)"})  # the first two stored nothing
    assert _layers(replayed) == ({"unit(notes)"}, set())


def test_a_failing_result_is_never_stored(nox_without_toolkit: Path, workspace: Path) -> None:
    test = workspace / "packages/notes/tests/unit/test_notes.py"
    test.write_text(test.read_text().replace('== "notes"', '== "diary"'))

    first = run_nox(nox_without_toolkit, workspace, "-s", "unit(notes)")
    second = run_nox(nox_without_toolkit, workspace, "-s", "unit(notes)")

    assert first.returncode != 0 and second.returncode != 0
    assert _layers(second) == (set(), {"unit(notes)"})
    assert "| notes | 0 passed, 1 failed | - |" in (workspace / "reports/summary.md").read_text()
