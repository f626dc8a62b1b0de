"""Package environments as their owners define them: a uv workspace and its lock, and a
package that needs an older Python than the one nox runs on."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.sessions.conftest import (
    BIN,
    NOXFILE,
    run_nox,
    run_nox_after_edit,
    user_environ,
    write_files,
)

pytestmark = pytest.mark.slow

UV = shutil.which("uv") or str(BIN / "uv")


def _member(name: str, dependencies: str, extra: str = "", python: str = ">=3.10") -> str:
    return f"""\
        [project]
        name = "{name}"
        version = "0.1"
        requires-python = "{python}"
        dependencies = [{dependencies}]

        [dependency-groups]
        test = ["pytest>=8"]

        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
        {extra}
    """


WORKSPACE = {
    # No [tool.toolkit] at all: the workspace's members are the packages.
    "pyproject.toml": """\
        [tool.uv.workspace]
        members = ["packages/*"]

        [tool.uv]
        # The lock pins six below its newest release (1.17.0 on the index).
        constraint-dependencies = ["six<1.17"]
    """,
    "noxfile.py": NOXFILE,
    "packages/alpha/pyproject.toml": _member("alpha", '"six"'),
    "packages/alpha/src/alpha/__init__.py": "import six\n\nANSWER = 42\n",
    "packages/alpha/tests/unit/test_alpha.py": """\
        from alpha import ANSWER

        def test_answer():
            assert ANSWER == 42
    """,
    "packages/beta/pyproject.toml": _member(
        "beta", '"alpha"', "[tool.uv.sources]\nalpha = { workspace = true }"
    ),
    "packages/beta/src/beta/__init__.py": "from alpha import ANSWER\n\nDOUBLE = ANSWER * 2\n",
    "packages/beta/tests/unit/test_beta.py": """\
        from beta import DOUBLE

        def test_double():
            assert DOUBLE == 84
    """,
    # gamma imports alpha without declaring it: only its own dependencies are installed.
    # It stops below 3.12, so uv locks the whole workspace to >=3.10,<3.12.
    "packages/gamma/pyproject.toml": _member("gamma", "", python=">=3.10,<3.12"),
    "packages/gamma/src/gamma/__init__.py": "",
    "packages/gamma/tests/unit/test_gamma.py": """\
        def test_uses_a_sibling_it_did_not_declare():
            import alpha

            assert alpha.ANSWER == 42
    """,
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("uv-workspace")
    write_files(root, WORKSPACE)
    subprocess.run([UV, "lock", "--quiet"], cwd=root, env=user_environ(), check=True)
    return root


def _in_env(repo: Path, package: str, code: str) -> str:
    (env,) = (repo / ".nox").glob(f"toolkit-{package}-py*")
    result = subprocess.run(
        [str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, check=False
    )
    return (result.stdout + result.stderr).strip()


def test_each_member_gets_exactly_its_locked_dependencies(
    nox_without_toolkit: Path, workspace: Path
) -> None:
    result = run_nox(nox_without_toolkit, workspace, "-s", "unit")

    summary = (workspace / "reports" / "summary.md").read_text()
    assert result.returncode != 0  # gamma's undeclared import
    assert "| alpha | 1 passed, 0 failed |" in summary
    assert "| beta | 1 passed, 0 failed |" in summary
    assert "| gamma | 0 passed, 1 failed |" in summary
    version = "import importlib.metadata as m; print(m.version('six'))"
    assert _in_env(workspace, "alpha", version) == "1.16.0"  # the lock's, not the newest
    assert _in_env(workspace, "beta", version) == "1.16.0"  # through alpha
    assert "No module named 'six'" in _in_env(workspace, "gamma", "import six")
    # Every member on the newest Python the lock admits, as uv run --package picks it.
    python = "import sys; print(*sys.version_info[:2], sep='.')"
    for member in ("alpha", "beta", "gamma"):
        assert _in_env(workspace, member, python) == "3.11", member


def test_a_warm_run_needs_no_index(nox_without_toolkit: Path, workspace: Path) -> None:
    # TOOLKIT_CACHE=0: the tests run (a replay would not touch the environments at all)
    run_nox(nox_without_toolkit, workspace, "-s", "unit(alpha)", "unit(beta)", TOOLKIT_CACHE="0")

    # uv and pip may not reach an index
    offline = {"UV_OFFLINE": "1", "PIP_NO_INDEX": "1", "TOOLKIT_CACHE": "0"}
    result = run_nox(nox_without_toolkit, workspace, "-s", "unit(alpha)", "unit(beta)", **offline)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "alpha: environment" in result.stderr and "is up to date" in result.stderr


def test_a_lock_that_does_not_match_the_pyprojects_is_one_line(
    nox_without_toolkit: Path, workspace: Path
) -> None:
    pyproject = workspace / "packages" / "alpha" / "pyproject.toml"
    result = run_nox_after_edit(
        nox_without_toolkit,
        workspace,
        pyproject,
        'dependencies = ["six"]',
        'dependencies = ["six", "idna"]',
        "-s",
        "unit(alpha)",
    )

    assert result.returncode != 0
    assert "uv.lock does not match the pyprojects: run uv lock" in result.stderr


LEGACY = {
    "pyproject.toml": '[tool.toolkit]\npackages = ["legacy"]\n',
    "noxfile.py": NOXFILE,
    "legacy/pyproject.toml": """\
        [project]
        name = "legacy"
        version = "0.1"
        requires-python = ">=3.10,<3.12"
        dependencies = ["psycopg[binary]>=3.1"]

        [dependency-groups]
        test = ["pytest>=8"]

        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [tool.coverage.report]
        fail_under = 0
    """,
    "legacy/legacy/__init__.py": "import sys\n\nRUNTIME = sys.version_info[:2]\n",
    "legacy/tests/unit/test_runtime.py": """\
        from legacy import RUNTIME

        def test_runs_on_an_interpreter_older_than_nox():
            assert (3, 10) <= RUNTIME < (3, 12)
    """,
    "legacy/tests/integration/test_database.py": """\
        import os
        import sys

        import psycopg

        def test_talks_to_the_runs_server():
            assert sys.version_info < (3, 12)
            with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
                assert connection.execute("select 1").fetchone() == (1,)
    """,
}


@pytest.mark.skipif(
    not any(shutil.which(f"python3.{minor}") for minor in (10, 11)),
    reason="needs Python 3.10 or 3.11 on PATH",
)
def test_a_package_needing_an_older_python_runs_every_session_on_it(
    nox_without_toolkit: Path, tmp_path: Path
) -> None:
    write_files(tmp_path, LEGACY)
    assert sys.version_info >= (3, 12)  # nox's side

    layers = run_nox(nox_without_toolkit, tmp_path, "-s", "unit", "integration")
    isolation = run_nox(nox_without_toolkit, tmp_path, "-R", "-s", "isolation")

    summary = (tmp_path / "reports" / "summary.md").read_text()
    assert layers.returncode == 0, layers.stdout[-3000:] + layers.stderr[-3000:]
    assert "| legacy | 1 passed, 0 failed | 1 passed, 0 failed |" in summary
    (env,) = (tmp_path / ".nox").glob("toolkit-legacy-py*")
    assert env.name in ("toolkit-legacy-py3.11", "toolkit-legacy-py3.10")
    assert isolation.returncode == 0, isolation.stderr[-3000:]
    report = json.loads((tmp_path / "reports" / "isolation.json").read_text())
    assert report["packages"]["legacy"]["findings"] == []


def test_without_a_lock_a_constraints_file_pins_every_environment(
    nox_without_toolkit: Path, tmp_path: Path
) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.toolkit]\npackages = ["pinned"]\nconstraints = "constraints.txt"\n'
            ),
            "constraints.txt": "six==1.16.0\n",
            "noxfile.py": NOXFILE,
            "pinned/pyproject.toml": _member("pinned", '"six"'),
            "pinned/src/pinned/__init__.py": "",
            "pinned/tests/unit/test_it.py": "def test_it():\n    import six\n",
        },
    )

    result = run_nox(nox_without_toolkit, tmp_path, "-s", "unit")

    assert result.returncode == 0, result.stderr[-3000:]
    assert (
        _in_env(tmp_path, "pinned", "import importlib.metadata as m; print(m.version('six'))")
        == "1.16.0"
    )


def test_a_lock_the_toolkit_cannot_live_with_is_one_line_naming_both(
    nox_without_toolkit: Path, tmp_path: Path
) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["old"]\n',
            "noxfile.py": NOXFILE,
            "old/pyproject.toml": _member("old", "").replace(
                'test = ["pytest>=8"]', 'test = ["pytest==7.4.4"]'
            ),
            "old/src/old/__init__.py": "",
            "old/tests/unit/test_it.py": "def test_it():\n    pass\n",
        },
    )
    subprocess.run([UV, "lock", "--quiet"], cwd=tmp_path, env=user_environ(), check=True)

    result = run_nox(nox_without_toolkit, tmp_path, "-s", "unit")

    errors = [line for line in result.stderr.splitlines() if "could not be installed" in line]
    assert result.returncode != 0
    assert errors and "pytest" in errors[0] and "monorepo-toolkit" in errors[0], result.stderr[
        -3000:
    ]
