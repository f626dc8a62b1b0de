"""Another repository adopts the sessions: a throwaway repo, a real nox, real outcomes.

The repo has another layout (``apps/*`` and ``libs/*``) and a noxfile whose body is
``import toolkit.sessions`` under a PEP 723 header naming the toolkit, run by a nox that
does not have the toolkit installed: nox must install it by itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import leftovers
from tests.integration.sessions.conftest import BIN, NOXFILE, run_nox

ROOT_PYPROJECT = """\
[tool.toolkit]
packages = ["libs/*", "apps/*"]
fail_under = 60
"""


def _package(root: Path, folder: str, name: str, body: dict[str, str], extra: str = "") -> None:
    path = root / folder
    files = {
        "pyproject.toml": textwrap.dedent(
            f"""\
            [project]
            name = "{name}"
            version = "0.1"
            {extra}
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"
            """
        ),
        f"src/{name}/__init__.py": "",
        **body,
    }
    for relative, content in files.items():
        target = path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(content))


def _build_repo(root: Path) -> None:
    (root / "pyproject.toml").write_text(ROOT_PYPROJECT)
    (root / "noxfile.py").write_text(NOXFILE)
    (root / "Makefile").write_text("include $(shell toolkit makefile)\n")
    _package(
        root,
        "libs/cache",
        "cache",
        {
            "src/cache/__init__.py": """\
                _entries = {}

                def put(key, value):
                    _entries[key] = value

                def get(key):
                    return _entries.get(key)
            """,
            "tests/unit/test_cache.py": """\
                import pytest
                from cache import get, put

                def test_empty_cache_misses():
                    assert get("answer") is None

                @pytest.mark.parametrize("value", range(10))
                def test_put_stores(value):
                    put("answer", value)
                    assert get("answer") == value
            """,
            "tests/integration/.keep": "",
        },
        # Order-dependent, and opted out of random order while it is being fixed.
        extra="dependencies = []\n[tool.toolkit]\nrandom_order = false",
    )
    _package(
        root,
        "libs/money",
        "money",
        {
            "src/money/__init__.py": """\
                def cents(amount: str) -> int:
                    whole, _, fraction = amount.partition(".")
                    return int(whole) * 100 + int((fraction + "00")[:2])
            """,
            "tests/unit/test_cents.py": """\
                import pytest
                from money import cents

                @pytest.mark.parametrize(("text", "value"), [("1", 100), ("2.5", 250), ("0.07", 7)])
                def test_cents(text, value):
                    assert cents(text) == value
            """,
            "tests/unit/test_flaky.py": """\
                import pathlib
                import pytest

                @pytest.mark.flaky(reruns=2)
                def test_marked_flaky_passes_on_rerun():
                    marker = pathlib.Path(__file__).parent / ".flaky-attempts"
                    attempts = int(marker.read_text()) + 1 if marker.exists() else 1
                    marker.write_text(str(attempts))
                    assert attempts >= 2, "fails on its first attempt only"
            """,
            "tests/integration/test_ledger.py": """\
                import os
                from sqlalchemy import text
                from money import cents

                def test_amount_round_trips_through_postgres(db_session):
                    stored = db_session.scalar(text("select cast(:v as integer)"), {"v": cents("12.34")})
                    assert stored == 1234
                    worker = os.environ.get("PYTEST_XDIST_WORKER")
                    expected = f"test_money_{worker}" if worker else "test_money"
                    assert db_session.scalar(text("select current_database()")) == expected
            """,
        },
        extra='dependencies = ["sqlalchemy>=2"]\n[tool.coverage.report]\nfail_under = 95',
    )
    _package(
        root,
        "apps/billing",
        "billing",
        {
            "src/billing/__init__.py": """\
                from money import cents

                def total(amounts):
                    return sum(cents(amount) for amount in amounts)

                def refund(amount, reason):
                    if not reason:
                        raise ValueError("a refund needs a reason")
                    if reason == "fraud":
                        return 0
                    return -cents(amount)
            """,
            "tests/unit/test_total.py": """\
                from billing import total

                def test_total():
                    assert total(["1", "2.5"]) == 350
            """,
            "tests/integration/test_nothing_more.py": """\
                def test_still_one_test():
                    assert True
            """,
        },
        extra='dependencies = ["money"]\n[tool.coverage.report]\nfail_under = 90',
    )
    _package(
        root,
        "apps/webhooks",
        "webhooks",
        {
            "src/webhooks/__init__.py": """\
                import urllib.request

                def ping(url):
                    return urllib.request.urlopen(url, timeout=1).status
            """,
            "tests/unit/test_ping.py": """\
                from webhooks import ping

                def test_ping_reaches_the_network():
                    ping("http://127.0.0.1:9/")
            """,
            "tests/unit/test_unmarked.py": """\
                def test_unmarked_failure_is_not_rerun():
                    assert False, "unmarked-failure"
            """,
            # The app's own default URL names its compose file's host: unresolvable here.
            "tests/unit/test_store.py": """\
                import os
                import psycopg
                import pytest

                @pytest.fixture
                def store():
                    url = os.environ.get("DATABASE_URL", "postgresql://app@users-db.invalid:5432/app")
                    return psycopg.connect(url)

                def test_store_saves(store):
                    pass
            """,
            "tests/integration/.keep": "",
        },
        extra="dependencies = []",
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("adopter")
    _build_repo(root)
    return root


def _nox(
    nox: Path, repo: Path, *args: str, runtime: Path | None = None, seed: int | None = None
) -> subprocess.CompletedProcess[str]:
    env: dict[str, str] = {}
    if seed is not None:
        env["TOOLKIT_SEED"] = str(seed)
    if runtime is not None:
        env["TOOLKIT_RUNTIME_DIR"] = str(runtime)
        env["GITHUB_STEP_SUMMARY"] = str(runtime.parent / f"{runtime.name}-step-summary.md")
    return run_nox(nox, repo, *args, **env)


@pytest.fixture(scope="module")
def full_run(nox_without_toolkit: Path, repo: Path) -> Iterator[tuple]:
    """One ``nox -s unit integration`` for the whole module (it costs ~20 s).

    Its servers keep their files in a folder of their own, reachable by the server's
    unprivileged user (pytest's temp folders are private), to check for leftovers.
    """
    runtime = Path(tempfile.mkdtemp(prefix="toolkit-adoption-run-"))
    runtime.chmod(0o755)
    result = _nox(nox_without_toolkit, repo, "-s", "unit", "integration", runtime=runtime)
    # Later tests run nox again, which rewrites reports/summary.md and the coverage
    # summaries (tests run in random order): keep this run's.
    money = (repo / "reports" / "money" / "coverage-summary.json").read_text()
    yield result, runtime, (repo / "reports" / "summary.md").read_text(), money
    shutil.rmtree(runtime, ignore_errors=True)
    Path(f"{runtime}-step-summary.md").unlink(missing_ok=True)


def test_sessions_are_listed_per_package_with_tags(
    nox_without_toolkit: Path, repo: Path, full_run
) -> None:
    result = _nox(nox_without_toolkit, repo, "--json", "-l")

    sessions = {entry["session"]: entry for entry in json.loads(result.stdout)}
    assert result.returncode == 0, result.stderr
    for layer in ("unit", "integration", "coverage", "isolation"):
        for package in ("money", "billing", "webhooks", "cache"):
            assert set(sessions[f"{layer}({package})"]["tags"]) == {layer, package}
    assert "summary" in sessions


def test_passing_package_passes_with_reports(repo: Path, full_run) -> None:
    reports = repo / "reports" / "money"

    summary = json.loads(full_run[3])
    assert summary["passed"] is True
    assert summary["layers"] == ["unit", "integration"]
    for name in ("junit-unit.xml", "junit-integration.xml", "coverage.xml", "htmlcov/index.html"):
        assert (reports / name).is_file(), name
    summary_md = full_run[2]
    assert "| money | 4 passed, 0 failed | 1 passed, 0 failed | 100% | 95% | ok |" in summary_md
    assert summary_md in Path(f"{full_run[1]}-step-summary.md").read_text()


def test_package_under_its_threshold_fails_the_run_by_name(repo: Path, full_run) -> None:
    result, _, summary_md, _ = full_run
    billing_row = next(line for line in summary_md.splitlines() if line.startswith("| billing |"))

    assert result.returncode != 0
    assert "billing: coverage 44% is below its threshold 90%" in result.stderr
    assert (
        billing_row == "| billing | 1 passed, 0 failed | 1 passed, 0 failed | 44% | 90% | FAILED |"
    )


def test_workspace_dependency_is_installed_from_its_folder(repo: Path, full_run) -> None:
    """billing depends on money by name; money must come from libs/money, not an index."""
    (env,) = (repo / ".nox").glob("toolkit-billing-py*")
    python = env / "bin" / "python"

    located = subprocess.run(
        [str(python), "-c", "import money; print(money.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert Path(located.stdout.strip()) == repo / "libs" / "money" / "src" / "money" / "__init__.py"
    assert (repo / "reports" / "billing" / "junit-unit.xml").read_text().count("<failure") == 0


def test_unit_test_touching_the_network_fails_and_says_where_it_belongs(full_run) -> None:
    result, _, summary_md, _ = full_run
    hint = (
        "toolkit: tests/unit/test_store.py::test_store_saves tried to connect to "
        "users-db.invalid:5432 (blocked: the unit layer has no network); unit tests run "
        "without network or database: move it to tests/integration (or mock the connection)"
    )

    assert "webhooks" in result.stderr
    assert "tests/unit/test_ping.py::test_ping_reaches_the_network tried to connect to " in (
        result.stdout
    )
    assert hint in result.stdout.splitlines()  # its fixture's error names it, on one line
    assert "| webhooks | 0 passed, 2 failed, 1 error |" in summary_md


def test_only_tests_marked_flaky_are_rerun(full_run) -> None:
    result, *_ = full_run
    # pytest's closing line of each run: "1 failed, 3 passed, 1 rerun in 0.12s"
    outcomes = re.findall(r"^=+ (.+) in [\d.]+s", result.stdout, flags=re.MULTILINE)

    money_unit = [line for line in outcomes if line.startswith("4 passed")]
    webhooks_unit = [line for line in outcomes if line.startswith("2 failed")]
    assert len(money_unit) == 1 and "1 rerun" in money_unit[0]  # failed once, then passed
    assert len(webhooks_unit) == 1 and "rerun" not in webhooks_unit[0]  # never retried


def test_random_order_seed_is_printed_for_replay(full_run) -> None:
    result, *_ = full_run

    seeds = set(re.findall(r"Using --randomly-seed=(\d+)", result.stdout))
    assert len(seeds) == 1  # one seed for the whole run, every layer and package
    assert f"replay: TOOLKIT_SEED={seeds.pop()}" in result.stderr


def test_warm_rerun_installs_nothing(nox_without_toolkit: Path, repo: Path, full_run) -> None:
    # --no-cache: the tests run (a replay would not touch the environment at all)
    result = _nox(nox_without_toolkit, repo, "-s", "unit(money)", "--", "--no-cache")

    installs = [line for line in result.stderr.splitlines() if "pip install" in line]
    assert result.returncode == 0, result.stderr
    assert "money: environment" in result.stderr and "is up to date" in result.stderr
    # (nox itself may refresh its script environment; the package's is untouched)
    reinstalls = [line for line in installs if ".nox/toolkit-money-py" in line]
    assert not reinstalls, result.stderr[-4000:]


def test_package_opted_out_of_random_order_runs_in_file_order(full_run, repo: Path) -> None:
    result, *_ = full_run

    assert "unit(cache): file order ([tool.toolkit] random_order = false)" in result.stderr
    assert "| cache | 11 passed, 0 failed |" in full_run[2]


def test_isolation_names_the_order_dependent_test_and_how_to_replay_it(
    nox_without_toolkit: Path, repo: Path, full_run
) -> None:
    # Ten tests pollute the one that runs first in file order: a random order puts
    # it first with odds 1 in 11, and the fixed seed makes the run repeatable.
    result = _nox(nox_without_toolkit, repo, "-R", "-s", "isolation(cache)", seed=20261125)

    report = json.loads((repo / "reports" / "isolation.json").read_text())["packages"]["cache"]
    assert result.returncode != 0
    assert "cache: 1 test(s) fail only in some orders" in result.stderr
    assert [finding["test"] for finding in report["findings"]] == [
        "tests/unit/test_cache.py::test_empty_cache_misses"
    ]
    finding = report["findings"][0]
    assert finding["kind"] == "order-dependent"
    # five deterministic orders, then random ones scaled to the suite (3 at least)
    assert len(report["runs"]) == 5 + report["exposure"]["random_orders"]
    assert report["exposure"]["random_orders"] >= 3
    # At the repository root, as the report says.
    replay = subprocess.run(
        finding["reproduce"], shell=True, cwd=repo, capture_output=True, check=False, text=True
    )
    assert replay.returncode == 1
    assert "test_empty_cache_misses" in replay.stdout


def test_make_fragment_is_one_include_away(repo: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

    result = subprocess.run(
        ["make", "-n", "unit", "coverage", "ARGS=-x"],
        cwd=repo,
        env=env,
        capture_output=True,
        check=False,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["nox  -s unit -- -x", "nox  -s coverage"]


def test_integration_layer_runs_under_xdist_with_a_database_per_worker(
    nox_without_toolkit: Path, repo: Path, full_run
) -> None:
    result = _nox(nox_without_toolkit, repo, "-R", "-s", "integration(money)", "--", "-n", "2")

    assert "* integration(money): success" in result.stderr, result.stdout[-3000:]
    assert "created: 2/2 workers" in result.stdout
    assert "Using --randomly-seed=" in result.stdout


def test_changed_since_runs_only_affected_packages(
    nox_without_toolkit: Path, repo: Path, full_run
) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], cwd=repo, check=True)
    change = repo / "libs" / "money" / "README.md"
    change.write_text("money\n")
    try:
        result = _nox(nox_without_toolkit, repo, "-R", "-s", "unit", "--", "--changed-since=main")
    finally:  # other tests share this repo
        change.unlink()
        shutil.rmtree(repo / ".git")

    ran = set(re.findall(r"\* unit\((\w+)\): (\w+)", result.stderr))
    assert ran == {
        ("money", "success"),
        ("billing", "success"),
        ("webhooks", "skipped"),
        ("cache", "skipped"),
    }
    assert "billing: selected (depends on money)" in result.stderr


def test_run_leaves_no_server_behind(full_run) -> None:
    _, runtime, _, _ = full_run

    assert leftovers(runtime) == []


@pytest.mark.parametrize(
    ("pyproject", "args", "message"),
    [
        pytest.param(
            None,
            ["-s", "unit(mony)"],
            "unknown package 'mony' in 'unit(mony)'; did you mean 'money'?",
            id="unknown-package",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = ["libs/*", "tools/*"]\n',
            ["-l"],
            "packages in [tool.toolkit] glob 'tools/*' matches no folder",
            id="glob-matches-nothing",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = "libs/*"\nfail_under = 120\n',
            ["-l"],
            "fail_under in [tool.toolkit] = 120 is not a coverage threshold",
            id="threshold-out-of-range",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = "libs/*"\nfail_under = "80%"\n',
            ["-l"],
            "'80%' is not a coverage threshold",
            id="threshold-not-a-number",
        ),
        pytest.param(
            '[tool.toolkit]\npackages = "libs/*"\npython = 3.12\n',
            ["-l"],
            "python in [tool.toolkit] must be a string",
            id="malformed-python",
        ),
        pytest.param(
            '[tool.toolkit]\npakages = ["libs/*"]\n',
            ["-l"],
            "unknown key 'pakages'",
            id="misspelt-key",
        ),
    ],
)
def test_configuration_mistakes_end_in_one_line(
    nox_without_toolkit: Path,
    repo: Path,
    full_run,
    pyproject: str | None,
    args: list[str],
    message: str,
) -> None:
    original = (repo / "pyproject.toml").read_text()
    if pyproject is not None:
        (repo / "pyproject.toml").write_text(pyproject)
    try:
        result = _nox(nox_without_toolkit, repo, *args)
    finally:
        (repo / "pyproject.toml").write_text(original)

    errors = [line for line in result.stderr.splitlines() if line.startswith("toolkit: error:")]
    assert result.returncode != 0
    assert len(errors) == 1, result.stderr
    assert message in errors[0]
    assert "Traceback" not in result.stderr


def test_package_without_the_layer_folder_skips_the_layer_saying_so(
    nox_without_toolkit: Path, repo: Path, full_run
) -> None:
    folder = repo / "apps" / "webhooks" / "tests" / "integration"
    shutil.rmtree(folder)
    try:
        result = _nox(nox_without_toolkit, repo, "-R", "-s", "integration(webhooks)")
    finally:
        folder.mkdir()

    assert result.returncode == 0, result.stderr
    assert (
        "webhooks has no integration tests (no apps/webhooks/tests/integration folder"
        in result.stderr
    )


def test_a_package_whose_tests_no_layer_runs_is_an_error_naming_the_line_to_add(
    nox_without_toolkit: Path, repo: Path, full_run
) -> None:
    """Skipping every layer of a package that has tests would pass a run that tested
    nothing. Without the root's layer folder, its plain tests/ would be its
    integration layer."""
    tests = repo / "apps" / "webhooks" / "tests"
    moved = {tests / "unit": tests / "api", tests / "integration": tests / "db"}
    root = repo / "pyproject.toml"
    for old, new in moved.items():
        old.rename(new)
    try:
        plain = _nox(nox_without_toolkit, repo, "-R", "-s", "unit(webhooks)")
        root.write_text(ROOT_PYPROJECT + 'unit = "checks"\n')
        result = _nox(nox_without_toolkit, repo, "-R", "-s", "unit(webhooks)")
    finally:
        root.write_text(ROOT_PYPROJECT)
        for old, new in moved.items():
            new.rename(old)

    assert plain.returncode == 0, plain.stderr
    assert (
        "webhooks has no unit tests (its plain tests/ folder runs as the integration layer"
        in plain.stderr
    )
    assert result.returncode != 0
    assert (
        "webhooks has tests in apps/webhooks/tests but no unit or integration folder, so "
        'none would run: set unit = "tests"' in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_layer_folder_named_in_config_that_is_missing_is_an_error(
    nox_without_toolkit: Path, repo: Path, full_run
) -> None:
    pyproject = repo / "apps" / "webhooks" / "pyproject.toml"
    original = pyproject.read_text()
    pyproject.write_text(original + '\n[tool.toolkit]\nintegration = "checks/db"\n')
    try:
        result = _nox(nox_without_toolkit, repo, "-R", "-s", "integration(webhooks)")
    finally:
        pyproject.write_text(original)

    assert result.returncode != 0
    assert (
        "webhooks: apps/webhooks/checks/db (the integration folder named in [tool.toolkit] of "
        "apps/webhooks/pyproject.toml) does not exist: create it or fix the path"
    ) in result.stderr
