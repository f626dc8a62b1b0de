"""Apps packaged the older way adopt the sessions with ``packages = [...]`` alone.

Two packages written as such apps were, knowing nothing of the toolkit and having no
pyproject.toml: ``inventory`` is a ``setup.py`` app (``long_description=__doc__``, a
name of its own in ``setup()``) with ``requirements.txt`` (constrained with ``-c``) and
``requirements-dev.txt`` (``-r requirements.txt`` plus its test tools), its pytest and
coverage settings in ``setup.cfg`` (``addopts`` writing ``coverage.xml``, ``source``,
``branch``, ``precision``, ``fail_under``); ``reporting`` is a folder holding only
``requirements.txt``, a module and a plain ``tests/`` folder whose tests use the
database. The root pyproject says nothing but ``packages``. Each package's coverage in
the summary must be the figure its own configuration gives under plain ``pytest
--cov``, and a second unchanged run must replay every layer. (The repository ignores
``coverage.xml`` in git, as such apps do: the result cache keys a package by the files
git sees, and the addopts rewrite that file on every run.)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.sessions.conftest import NOXFILE, run_nox, user_environ, write_files

pytestmark = pytest.mark.slow

REPOSITORY = {
    "pyproject.toml": '[tool.toolkit]\npackages = ["apps/*"]\n',
    "noxfile.py": NOXFILE,
    ".gitignore": ".nox/\nreports/\n__pycache__/\n*.egg-info/\ncoverage.xml\n.coverage\n",
    "apps/inventory/setup.py": '''\
        """Inventory: stock levels for the shop, as a small service.

        Packaged the way apps were before pyproject.toml: setuptools reads this very
        docstring as the long description.
        """
        from setuptools import find_packages, setup

        setup(
            name="inventory-service",
            version="1.4.0",
            description="Stock levels",
            long_description=__doc__,
            packages=find_packages(exclude=["tests", "tests.*"]),
            python_requires=">=3.10",
            install_requires=["itsdangerous"],
        )
    ''',
    "apps/inventory/requirements.txt": """\
        -c constraints.txt
        itsdangerous>=2.0
        psycopg[binary]>=3.1
    """,
    "apps/inventory/constraints.txt": "itsdangerous<3\n",
    "apps/inventory/requirements-dev.txt": """\
        -r requirements.txt
        pytest>=8
        pytest-cov>=5
    """,
    "apps/inventory/setup.cfg": """\
        [tool:pytest]
        addopts = --cov=inventory --cov-report=xml

        [coverage:run]
        source = inventory
        branch = True

        [coverage:report]
        precision = 2
        fail_under = 60
    """,
    "apps/inventory/inventory/__init__.py": "",
    "apps/inventory/inventory/stock.py": """\
        import os

        import psycopg
        from itsdangerous import URLSafeSerializer


        def level(on_hand: int, reserved: int) -> str:
            free = on_hand - reserved
            if free <= 0:
                return "out"
            if free < 5:
                return "low"
            return "ok"


        def token(sku: str) -> str:
            return URLSafeSerializer("secret").dumps({"sku": sku})


        def restock(sku: str, count: int) -> int:
            with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
                connection.execute(
                    "create table if not exists stock (sku text primary key, count int)"
                )
                row = connection.execute(
                    "insert into stock values (%s, %s) on conflict (sku) do update "
                    "set count = stock.count + excluded.count returning count",
                    (sku, count),
                ).fetchone()
                return row[0]


        def never_called(value):
            if value:
                return "yes"
            return "no"
    """,
    "apps/inventory/tests/__init__.py": "",
    "apps/inventory/tests/unit/__init__.py": "",
    "apps/inventory/tests/unit/test_stock.py": """\
        from inventory.stock import level, token


        def test_out_of_stock():
            assert level(3, 3) == "out"


        def test_plenty():
            assert level(20, 1) == "ok"


        def test_token_is_signed():
            assert token("a-1").count(".") == 1
    """,
    "apps/inventory/tests/integration/__init__.py": "",
    "apps/inventory/tests/integration/test_restock.py": """\
        from inventory.stock import restock


        def test_restock_adds_up():
            assert restock("b-2", 3) == 3
            assert restock("b-2", 4) == 7
    """,
    "apps/reporting/requirements.txt": "psycopg[binary]>=3.1\n",
    "apps/reporting/report.py": """\
        import os

        import psycopg


        def totals():
            with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
                connection.execute("create table sales (amount int)")
                connection.execute("insert into sales values (5), (7)")
                return connection.execute("select sum(amount) from sales").fetchone()[0]


        def describe(total):
            if total > 100:
                return "big"
            return "small"


        def unused():
            return 1 + 1
    """,
    "apps/reporting/tests/test_report.py": """\
        from report import describe, totals


        def test_totals_from_the_database():
            assert totals() == 12


        def test_describe_small():
            assert describe(12) == "small"
    """,
}

_SUMMARY_ROW = re.compile(r"^(?P<package>[\w-]+)\s{2,}(?P<rest>.*)$")


def _summary_rows(output: str) -> dict[str, str]:
    """The summary table's rows by package, as printed."""
    rows = {}
    lines = output.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("package "))
    for line in lines[start + 2 :]:
        match = _SUMMARY_ROW.match(line)
        if not match:
            break
        rows[match["package"]] = match["rest"]
    return rows


def _environment(repo: Path, package: str) -> Path:
    """The package's environment the sessions built whole (the failing-build test, in
    whatever order it runs, may leave another one half made)."""
    built = [
        env
        for env in sorted((repo / ".nox").glob(f"toolkit-{package}-py3.*"))
        if (env / "bin" / "toolkit").exists()
    ]
    assert built, f"no environment of {package} in {repo / '.nox'}"
    return built[-1]


def _plain_pytest_coverage(env_python: Path, folder: Path, *args: str) -> str:
    """The total plain ``pytest --cov`` gives in ``folder`` with the package's own
    settings, its database tests given a server by ``toolkit postgres -- ...``."""
    environ = user_environ()
    report = folder.parent / f"{folder.name}-plain.json"
    pytest_command = [str(env_python), "-m", "pytest", "-p", "no:randomly", *args]
    result = subprocess.run(
        [
            str(env_python.parent / "toolkit"),
            *("postgres", "--"),
            *pytest_command,
            f"--cov-report=json:{report}",
        ],
        cwd=folder,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return str(json.loads(report.read_text())["totals"]["percent_covered_display"])


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("older-packaging")
    write_files(root, REPOSITORY)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


@pytest.fixture(scope="module")
def first_run(nox_without_toolkit: Path, repo: Path) -> subprocess.CompletedProcess[str]:
    return run_nox(nox_without_toolkit, repo, "-s", "unit", "integration")


@pytest.fixture(scope="module")
def second_run(
    nox_without_toolkit: Path, repo: Path, first_run: subprocess.CompletedProcess[str]
) -> subprocess.CompletedProcess[str]:
    assert first_run.returncode == 0, first_run.stderr[-3000:]
    return run_nox(nox_without_toolkit, repo, "-s", "unit", "integration")


def test_both_packages_run_green_with_packages_alone(
    repo: Path, first_run: subprocess.CompletedProcess[str]
) -> None:
    assert first_run.returncode == 0, first_run.stderr[-3000:]
    output = first_run.stdout + first_run.stderr
    # Named by setup()'s name; the folder-only package by its folder.
    rows = _summary_rows(output)
    assert set(rows) == {"inventory-service", "reporting"}
    assert re.match(r"3 passed\b.*\s{2}1 passed\b", rows["inventory-service"])  # unit, integration
    # The plain tests/ folder ran as the integration layer, with the database.
    assert "reporting has no unit tests (its plain tests/ folder runs as the integration" in output
    assert re.match(r"-\s+2 passed\b", rows["reporting"])
    assert rows["reporting"].rstrip().endswith("ok")
    # requirements-dev.txt was installed, and through it requirements.txt and its -c.
    env = _environment(repo, "inventory-service")
    python = env / "bin" / "python"
    versions = subprocess.run(
        [
            str(python),
            "-c",
            "import itsdangerous, importlib.metadata as m;"
            "print(m.version('itsdangerous'), m.version('inventory-service'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert versions[0].startswith("2.")
    assert versions[1] == "1.4.0"


def test_each_package_reports_its_own_coverage_figure(
    repo: Path,
    first_run: subprocess.CompletedProcess[str],
    second_run: subprocess.CompletedProcess[str],  # made before plain pytest rewrites outputs
) -> None:
    """The summary shows what plain ``pytest --cov`` gives with the package's own
    configuration: setup.cfg's source, branch and precision for inventory (so 2
    decimals), and the module without its tests for the package that configures none."""
    assert first_run.returncode == 0, first_run.stderr[-3000:]
    rows = _summary_rows(first_run.stdout + first_run.stderr)
    envs = {name: _environment(repo, name) for name in rows}

    inventory = _plain_pytest_coverage(
        envs["inventory-service"] / "bin" / "python", repo / "apps" / "inventory", "tests"
    )
    reporting = _plain_pytest_coverage(
        envs["reporting"] / "bin" / "python", repo / "apps" / "reporting", "--cov=report"
    )

    assert re.fullmatch(r"\d+\.\d\d", inventory)  # precision = 2, from setup.cfg
    assert f" {inventory}% " in rows["inventory-service"]
    assert "60%" in rows["inventory-service"]  # fail_under from setup.cfg
    assert f" {reporting}% " in rows["reporting"]
    # Its own [tool:pytest] addopts applied too: nothing the sessions pass overrides them.
    assert (repo / "apps" / "inventory" / "coverage.xml").is_file()
    summary = json.loads(
        (repo / "reports" / "inventory-service" / "coverage-summary.json").read_text()
    )
    assert summary["threshold_from"] == "apps/inventory/setup.cfg [coverage:report]"
    assert summary["layers"] == ["unit", "integration"]


def test_a_second_unchanged_run_replays_every_layer(
    second_run: subprocess.CompletedProcess[str],
) -> None:
    assert second_run.returncode == 0, second_run.stderr[-3000:]
    output = second_run.stdout + second_run.stderr
    for part in (
        "unit(inventory-service)",
        "integration(inventory-service)",
        "integration(reporting)",
    ):
        assert re.search(rf"{re.escape(part)}: cached \(key \w+\)", output), [
            line for line in output.splitlines() if "cached" in line
        ]
    assert " -m pytest " not in output
    assert "installing into" not in output


def test_a_failing_build_is_one_line_with_the_backends_error_and_the_fix(
    nox_without_toolkit: Path, repo: Path, tmp_path: Path
) -> None:
    """A pyproject ``[project]`` table added beside the setup.py makes setuptools apply
    it over ``setup()``, and ``long_description=__doc__`` then breaks the build. (In a
    copy: the other tests read the repository's environments and reports, in any order.)"""
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, symlinks=True, ignore=shutil.ignore_patterns(".nox", "reports"))
    (copy / "apps" / "inventory" / "pyproject.toml").write_text(
        '[project]\nname = "inventory-service"\nversion = "1.4.0"\n'
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )

    result = run_nox(nox_without_toolkit, copy, "-s", "unit(inventory-service)")

    assert result.returncode != 0
    line = next(line for line in result.stderr.splitlines() if "could not be installed" in line)
    assert "its build failed: AttributeError: 'NoneType' object has no attribute 'get'" in line
    assert "a setup.py package needs no [project] table for the toolkit: remove it" in line
    assert "Traceback" not in result.stderr.splitlines()[-1]
