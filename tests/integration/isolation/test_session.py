"""``nox -s isolation`` end to end: a throwaway repository, a real nox, a real server.

One package plants an order-dependent unit test and an integration test that commits
rows outside its transaction; the session must name both, with commands that show
them, write ``reports/isolation.json`` as the README describes, and fail. A second
package, the planted fixture-leak suite under ``isolation_leaks = "report"``, must
have each leak named as the fixture or test that left it, and pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.integration.conftest import leftovers
from tests.integration.isolation.suites import fixture_leaks
from toolkit.isolation._runner import derived_seed

BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow

FILES = {
    "pyproject.toml": """\
        [tool.toolkit]
        packages = ["packages/*"]
        isolation_orders = 2
    """,
    "noxfile.py": "import toolkit.sessions\n",
    "packages/notes/pyproject.toml": """\
        [project]
        name = "notes"
        version = "0.1"
        dependencies = ["sqlalchemy>=2"]
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
    """,
    "packages/notes/src/notes/__init__.py": """\
        import sqlalchemy as sa

        metadata = sa.MetaData()
        notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True))
        _seen = []

        def remember(note):
            _seen.append(note)

        def seen():
            return list(_seen)
    """,
    "packages/notes/tests/__init__.py": "",
    "packages/notes/tests/conftest.py": """\
        import pytest
        from toolkit.testing import Service

        import notes

        @pytest.fixture(scope="session")
        def toolkit_service():
            return Service(metadata=notes.metadata)
    """,
    "packages/notes/tests/unit/__init__.py": "",
    "packages/notes/tests/unit/test_a_memory.py": """\
        import notes

        def test_starts_empty():
            assert notes.seen() == []
    """,
    "packages/notes/tests/unit/test_b_remember.py": """\
        import notes

        def test_remembers():
            notes.remember("hello")
            assert notes.seen()[-1] == "hello"

        def test_counts():
            assert len("hello") == 5
    """,
    "packages/notes/tests/integration/__init__.py": "",
    "packages/notes/tests/integration/test_storage.py": """\
        import sqlalchemy as sa
        import notes

        def test_commits_behind_the_fixture(engine):
            with engine.begin() as connection:
                connection.execute(sa.insert(notes.notes).values(id=1))

        def test_rolled_back(db_session):
            db_session.execute(sa.insert(notes.notes).values(id=2))
    """,
}


#: The planted fixture-leak suite as a package of its own that only reports leaks and
#: accepts one: an older app reading DATABASE_URL itself (see suites.fixture_leaks).
LEDGER_PYPROJECT = """\
[project]
name = "ledger"
version = "0.1"
dependencies = ["sqlalchemy>=2"]

[tool.toolkit]
integration = "tests"
isolation_leaks = "report"
isolation_accepted_leaks = ["tests/test_e_tests.py::test_commits_a_note"]
"""
ACCEPTED = ("tests/test_e_tests.py::test_commits_a_note", "test")


def _repo(root: Path) -> Path:
    for relative, content in FILES.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(content))
    fixture_leaks(root / "packages" / "ledger")
    (root / "packages" / "ledger" / "pyproject.toml").write_text(LEDGER_PYPROJECT)
    return root


@pytest.fixture
def runtime(open_folder: Path) -> Path:
    """The servers' files go here, where leftovers can be counted."""
    return open_folder


def _isolation(repo: Path, runtime: Path) -> subprocess.CompletedProcess[str]:
    """``nox -s isolation`` as a user runs it: no toolkit, PG or nox settings inherited."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TOOLKIT_", "PG", "NOX_", "VIRTUAL_ENV")) and key != "DATABASE_URL"
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{env['PATH']}", TOOLKIT_SEED="7", TOOLKIT_RUNTIME_DIR=str(runtime)
    )
    if "TOOLKIT_CACHE_DIR" in os.environ:
        env["TOOLKIT_CACHE_DIR"] = os.environ["TOOLKIT_CACHE_DIR"]
    return subprocess.run(
        [str(BIN / "nox"), "-s", "isolation"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_isolation_session_names_the_polluter_and_the_leak_and_fails(
    tmp_path: Path, runtime: Path
) -> None:
    repo = _repo(tmp_path / "repo")

    result = _isolation(repo, runtime)

    packages = json.loads((repo / "reports" / "isolation.json").read_text())["packages"]
    package = packages["notes"]
    findings = {finding["kind"]: finding for finding in package["findings"]}
    assert result.returncode != 0
    assert set(package) == {
        "runs",
        "findings",
        "fails_alone",
        "unconfirmed",
        "unsearched",
        "accepted_leaks",
        "exposure",
    }
    assert package["fails_alone"] == package["unconfirmed"] == package["unsearched"] == []
    assert [(run["order"], run["seed"]) for run in package["runs"]] == [
        ("file", None),
        ("reverse", None),
        ("interleave", None),
        ("reverse-interleave", None),
        ("alone", None),
        ("random", derived_seed(7, 0)),
        ("random", derived_seed(7, 1)),
    ]
    assert sorted(findings) == ["database-leak", "order-dependent"]
    polluted = findings["order-dependent"]
    assert polluted["test"] == "tests/unit/test_a_memory.py::test_starts_empty"
    assert polluted["polluters"] == ["tests/unit/test_b_remember.py::test_remembers"]
    assert (
        findings["database-leak"]["test"]
        == "tests/integration/test_storage.py::test_commits_behind_the_fixture"
    )
    assert findings["database-leak"]["tables"] == {"public.notes": "+1 row"}
    assert (
        "notes: 1 test(s) fail only in some orders (1 order-dependent); 1 confirmed database "
        "leak(s)" in result.stderr
    )
    # The planted fixture leaks under isolation_leaks = "report": each named as the
    # fixture (file::name, scope) or test that left it, nothing for the fixtures that
    # clean up, the first test after a session seed, the rolled-back test or the
    # mock-only test after a module's drop_all; the session passes; one is accepted.
    ledger = packages["ledger"]
    _, planted = fixture_leaks(tmp_path / "planted")
    named = {
        (f.get("fixture") or f["test"], f.get("scope") or "test"): f["tables"]
        for f in ledger["findings"]
    }
    assert named == {key: tables for key, tables in planted.items() if key != ACCEPTED}
    assert {f["kind"] for f in ledger["findings"]} == {"database-leak"}
    assert [(f["test"], f["tables"]) for f in ledger["accepted_leaks"]] == [
        (ACCEPTED[0], planted[ACCEPTED])
    ]
    assert ledger["unconfirmed"] == ledger["unsearched"] == []
    assert "Session isolation(ledger) was successful" in result.stderr
    assert "isolation(ledger): 5 confirmed database leak(s) listed, not failing" in result.stderr
    # Each command was confirmed by the engine in a fresh process; two of them pasted here.
    for key in (
        ("tests/test_c_scratch.py::scratch_table", "module"),
        ("tests/test_e_tests.py::test_renames_a_user", "test"),
    ):
        finding = next(f for f in ledger["findings"] if (f.get("fixture") or f["test"]) == key[0])
        shown = subprocess.run(
            finding["reproduce"], shell=True, cwd=repo, capture_output=True, text=True, check=False
        )
        assert shown.returncode == 1, shown.stdout
        owner = f"fixture {key[0]} (module scope)" if key[1] == "module" else "this test"
        words = ", ".join(f"{table}: {change}" for table, change in planted[key].items())
        assert f"isolation: {owner} left the database changed: {words}" in shown.stdout
    assert "isolation(notes): order 1/5: file order" in result.stderr
    replay = subprocess.run(
        polluted["reproduce"], shell=True, cwd=repo, capture_output=True, text=True, check=False
    )
    assert (
        replay.returncode == 1
        and "FAILED tests/unit/test_a_memory.py::test_starts_empty" in replay.stdout
    )
    assert leftovers(runtime) == []


COLLIDING = {
    "pyproject.toml": """\
        [tool.toolkit]
        packages = ["packages/*"]
        isolation_orders = 1
    """,
    "noxfile.py": "import toolkit.sessions\n",
    "packages/shared/pyproject.toml": """\
        [project]
        name = "shared"
        version = "0.1"
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
        [tool.toolkit]
        unit = "tests"
    """,
    "packages/shared/src/shared/__init__.py": "",
    # Each test holds one fixed file for a while: alone or one after the other they
    # pass; two orders running at once overwrite each other's.
    "packages/shared/tests/test_fixed_file.py": """\
        import time
        from pathlib import Path

        FIXED = Path(__file__).parent / "fixed.txt"

        def _hold(mine):
            FIXED.write_text(mine)
            time.sleep(3)
            assert FIXED.read_text() == mine

        def test_first():
            _hold("first")

        def test_second():
            _hold("second")
    """,
}


def test_orders_that_collide_side_by_side_are_told_to_run_one_at_a_time(
    tmp_path: Path, runtime: Path
) -> None:
    repo = tmp_path / "repo"
    for relative, content in COLLIDING.items():
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / relative).write_text(textwrap.dedent(content))

    side_by_side = _isolation(repo, runtime)

    package = json.loads((repo / "reports" / "isolation.json").read_text())["packages"]["shared"]
    assert side_by_side.returncode == 0, side_by_side.stderr
    assert package["findings"] == [] and package["unconfirmed"] != []
    assert "isolation_jobs = 1 in [tool.toolkit] of pyproject.toml" in side_by_side.stderr

    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "isolation_jobs = 1\n")
    one_at_a_time = _isolation(repo, runtime)

    package = json.loads((repo / "reports" / "isolation.json").read_text())["packages"]["shared"]
    assert one_at_a_time.returncode == 0, one_at_a_time.stderr
    assert package["findings"] == package["unconfirmed"] == []
    assert "isolation_jobs" not in one_at_a_time.stderr
