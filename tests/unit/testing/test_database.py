"""The package's template built by its setup commands, and what they are told."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.unit.host.test_config import _package, _write
from toolkit.errors import ToolkitError
from toolkit.host.config import Package, load_config
from toolkit.testing import database


@pytest.fixture
def package(tmp_path: Path) -> Package:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["app"]\n',
            "app/pyproject.toml": _package("app", '[tool.toolkit]\nsetup = ["python -V"]'),
            "app/app/models.py": "TABLES = 1\n",
            "app/migrations/0001.sql": "create table a ();\n",
            "app/tests/integration/test_x.py": "",
        },
    )
    return load_config(tmp_path).package("app")


def test_the_fingerprint_follows_sources_and_migrations_not_tests(package: Package) -> None:
    schema = database.SetupSchema(package)
    before = schema.fingerprint()

    (package.path / "tests" / "integration" / "test_x.py").write_text("def test(): pass\n")
    assert schema.fingerprint() == before
    (package.path / "migrations" / "0001.sql").write_text("create table b ();\n")
    assert schema.fingerprint() != before


def test_the_url_takes_the_packages_scheme() -> None:
    from toolkit.postgres.urls import parse_url

    server = parse_url("postgresql://u:p@127.0.0.1:5432/app", source="test")

    environ = server.environ("other", "postgresql+psycopg")
    assert environ["DATABASE_URL"] == "postgresql+psycopg://u:p@127.0.0.1:5432/other"
    assert environ["PGDATABASE"] == "other"


def test_a_failed_extension_in_a_setup_command_is_named(package: Package) -> None:
    script = (
        'import sys; print(\'could not load library "/pg/lib/uuid-ossp.so": '
        "libossp-uuid.so.16: cannot open shared object file: No such file or directory'); "
        "sys.exit(1)"
    )
    command = f"{Path(sys.executable).name} -c {shlex.quote(script)}"
    env = {"PATH": str(Path(sys.executable).parent)}

    with pytest.raises(ToolkitError) as caught:
        database._run_setup_command(package, command, env)

    assert 'extension "uuid-ossp" cannot load' in str(caught.value)
    assert "libossp-uuid.so.16" in str(caught.value)


def test_a_missing_setup_program_is_named(package: Package) -> None:
    with pytest.raises(ToolkitError, match="'alembic' is not installed in its environment"):
        database._run_setup_command(package, "alembic upgrade head", {"PATH": "/nonexistent"})


def test_nothing_happens_without_a_template_from_the_sessions() -> None:
    environ = {"DATABASE_URL": "postgresql://u@127.0.0.1:1/app"}

    database.prepare_process_database(environ)

    assert environ == {"DATABASE_URL": "postgresql://u@127.0.0.1:1/app"}


@pytest.mark.parametrize(
    ("options", "environ", "expected"),
    [
        pytest.param({}, {}, False, id="no-xdist"),
        pytest.param({"numprocesses": None}, {}, False, id="xdist-unused"),
        pytest.param({"numprocesses": 0}, {}, False, id="n0"),
        pytest.param({"numprocesses": 2}, {}, True, id="n2"),
        pytest.param({"numprocesses": "auto"}, {}, True, id="auto"),
        pytest.param(
            {"numprocesses": "auto"}, {"PYTEST_XDIST_AUTO_NUM_WORKERS": "0"}, False, id="auto-0"
        ),
        pytest.param({"numprocesses": "logical", "usepdb": True}, {}, False, id="auto-pdb"),
        pytest.param({"numprocesses": 2, "collectonly": True}, {}, False, id="collect-only"),
        pytest.param({"numprocesses": None, "tx": ["popen"]}, {}, True, id="tx"),
    ],
)
def test_an_xdist_controller_is_recognised_before_xdist_resolves_its_options(
    options: dict[str, object], environ: dict[str, str], expected: bool
) -> None:
    assert database.spawns_workers(SimpleNamespace(**options), environ) is expected


def test_an_xdist_controller_clones_no_database_its_workers_do() -> None:
    url = "postgresql://u@127.0.0.1:1/app"
    controller = {"DATABASE_URL": url, "TOOLKIT_DATABASE_TEMPLATE": "tpl"}

    database.prepare_process_database(controller, controller=True)  # port 1: a clone would fail

    assert controller == {"DATABASE_URL": url, "TOOLKIT_DATABASE_TEMPLATE": "tpl"}
    worker = {**controller, "PYTEST_XDIST_WORKER": "gw0"}
    with pytest.raises(ToolkitError, match="cannot create database 'app_gw0'"):
        database.prepare_process_database(worker, controller=True)
