"""An app that knows nothing of the toolkit adopts the sessions with pyproject lines alone.

The app is shaped like the FastAPI full-stack template's backend: settings read from
the environment (a required ``SECRET_KEY``), an engine built from ``DATABASE_URL`` at
import time, Alembic migrations whose first statement creates the ``uuid-ossp``
extension, a data script that inserts the first superuser, its own conftest with a
``TestClient``, tests in ``tests/`` only. One real order-dependent pair: a test renames
the first superuser and commits; another reads the name. Its pyproject declares the
toolkit's keys and nothing else of ours: no conftest for the toolkit, no code changed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.integration.conftest import leftovers
from tests.integration.sessions.conftest import NOXFILE, run_nox, write_files

pytestmark = pytest.mark.slow

VICTIM = "tests/test_users.py::test_first_superuser_keeps_the_initial_name"
POLLUTER = "tests/test_users.py::test_rename_first_superuser"

APP_PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["fastapi>=0.110", "sqlalchemy>=2.0", "psycopg[binary]>=3.1", "alembic>=1.13"]

[dependency-groups]
test = ["pytest>=8", "httpx>=0.27"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["app"]

[tool.coverage.report]
fail_under = 50

# All the toolkit needs to know about this app:
[tool.toolkit]
unit = false
integration = "tests"
random_order = false            # it has an order-dependent pair; isolation reports it
setup = ["alembic upgrade head", "python -m app.initial_data"]
database_url_scheme = "postgresql+psycopg"

[tool.toolkit.env]
SECRET_KEY = "changethis-in-tests"
FIRST_SUPERUSER = "admin@example.com"
"""

APP_FILES = {
    "backend/pyproject.toml": APP_PYPROJECT,
    "backend/app/__init__.py": "",
    "backend/app/core/__init__.py": "",
    "backend/app/core/config.py": """\
        import os


        class Settings:
            def __init__(self) -> None:
                missing = [
                    name
                    for name in ("SECRET_KEY", "DATABASE_URL", "FIRST_SUPERUSER")
                    if not os.environ.get(name)
                ]
                if missing:
                    raise RuntimeError(f"settings missing from the environment: {missing}")
                self.SECRET_KEY = os.environ["SECRET_KEY"]
                self.DATABASE_URL = os.environ["DATABASE_URL"]
                self.FIRST_SUPERUSER = os.environ["FIRST_SUPERUSER"]


        settings = Settings()
    """,
    "backend/app/db.py": """\
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        from app.core.config import settings

        engine = create_engine(settings.DATABASE_URL, pool_pre_ping=True)
        SessionLocal = sessionmaker(bind=engine)


        def get_db():
            with SessionLocal() as session:
                yield session
    """,
    "backend/app/models.py": """\
        import uuid

        from sqlalchemy import String, text
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


        class Base(DeclarativeBase):
            pass


        class User(Base):
            __tablename__ = "user"

            id: Mapped[uuid.UUID] = mapped_column(
                primary_key=True, server_default=text("uuid_generate_v4()")
            )
            email: Mapped[str] = mapped_column(String(255), unique=True)
            full_name: Mapped[str] = mapped_column(String(255))
    """,
    "backend/app/main.py": """\
        from fastapi import Depends, FastAPI, HTTPException
        from pydantic import BaseModel
        from sqlalchemy import select, text
        from sqlalchemy.orm import Session

        from app.db import get_db
        from app.models import User

        app = FastAPI()


        class UserUpdate(BaseModel):
            full_name: str


        @app.get("/health")
        def health(db: Session = Depends(get_db)):
            return {"status": "ok", "database": db.scalar(text("select current_database()"))}


        @app.get("/users/{email}")
        def read_user(email: str, db: Session = Depends(get_db)):
            user = db.scalar(select(User).where(User.email == email))
            if user is None:
                raise HTTPException(status_code=404, detail="user not found")
            return {"id": str(user.id), "email": user.email, "full_name": user.full_name}


        @app.patch("/users/{email}")
        def update_user(email: str, update: UserUpdate, db: Session = Depends(get_db)):
            user = db.scalar(select(User).where(User.email == email))
            if user is None:
                raise HTTPException(status_code=404, detail="user not found")
            user.full_name = update.full_name
            db.commit()
            return {"id": str(user.id), "email": user.email, "full_name": user.full_name}
    """,
    "backend/app/initial_data.py": """\
        from sqlalchemy import select

        from app.core.config import settings
        from app.db import SessionLocal
        from app.models import User


        def main() -> None:
            with SessionLocal() as session:
                exists = session.scalar(select(User).where(User.email == settings.FIRST_SUPERUSER))
                if exists is None:
                    session.add(User(email=settings.FIRST_SUPERUSER, full_name="Initial Admin"))
                    session.commit()
            print("initial data created")


        if __name__ == "__main__":
            main()
    """,
    "backend/alembic.ini": """\
        [alembic]
        script_location = app/alembic
    """,
    "backend/app/alembic/env.py": """\
        from alembic import context
        from sqlalchemy import create_engine

        from app.core.config import settings
        from app.models import Base

        engine = create_engine(settings.DATABASE_URL)
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=Base.metadata)
            with context.begin_transaction():
                context.run_migrations()
    """,
    "backend/app/alembic/script.py.mako": "",
    "backend/app/alembic/versions/0001_users.py": """\
        import sqlalchemy as sa
        from alembic import op

        revision = "0001"
        down_revision = None


        def upgrade() -> None:
            op.execute('CREATE EXTENSION IF NOT EXISTS "uuid-ossp"')
            op.create_table(
                "user",
                sa.Column("id", sa.Uuid(), server_default=sa.text("uuid_generate_v4()"), primary_key=True),
                sa.Column("email", sa.String(255), nullable=False, unique=True),
                sa.Column("full_name", sa.String(255), nullable=False),
            )
    """,
    "backend/tests/__init__.py": "",
    "backend/tests/conftest.py": """\
        import pytest
        from fastapi.testclient import TestClient

        from app.main import app


        @pytest.fixture
        def client():
            with TestClient(app) as test_client:
                yield test_client
    """,
    "backend/tests/test_health.py": """\
        from app.core.config import settings


        def test_health_names_the_database(client, record_property):
            response = client.get("/health")
            assert response.status_code == 200
            record_property("database", response.json()["database"])


        def test_first_superuser_exists(client):
            assert client.get(f"/users/{settings.FIRST_SUPERUSER}").status_code == 200
    """,
    "backend/tests/test_users.py": """\
        import uuid

        from app.core.config import settings


        def test_users_live_in_the_apps_database(client, record_property):
            record_property("database", client.get("/health").json()["database"])
            assert client.get(f"/users/{settings.FIRST_SUPERUSER}").status_code == 200


        def test_first_superuser_keeps_the_initial_name(client):
            response = client.get(f"/users/{settings.FIRST_SUPERUSER}")
            assert response.json()["full_name"] == "Initial Admin"


        def test_user_ids_come_from_uuid_ossp(client):
            response = client.get(f"/users/{settings.FIRST_SUPERUSER}")
            assert uuid.UUID(response.json()["id"]).version == 4


        def test_unknown_user_is_not_found(client):
            assert client.get("/users/nobody@example.com").status_code == 404


        def test_rename_first_superuser(client):
            response = client.patch(
                f"/users/{settings.FIRST_SUPERUSER}", json={"full_name": "Renamed Admin"}
            )
            assert response.json()["full_name"] == "Renamed Admin"
    """,
}

ROOT_PYPROJECT = """\
[tool.toolkit]
packages = ["backend"]
isolation_orders = 3
"""

# pytest-randomly orders from this seed put the rename before the read at least once
# (isolation runs seeds SEED, SEED+1, SEED+2 after the file order).
SEED = 1


@pytest.fixture(scope="module")
def app_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("app-repo")
    write_files(root, {"pyproject.toml": ROOT_PYPROJECT, "noxfile.py": NOXFILE, **APP_FILES})
    return root


@pytest.fixture
def runtime(open_folder: Path) -> Path:
    """The servers' files go here, where leftovers can be counted."""
    return open_folder


def _junit_databases(repo: Path) -> set[str]:
    root = ElementTree.parse(repo / "reports" / "app" / "junit-integration.xml").getroot()
    return {
        prop.get("value", "") for prop in root.iter("property") if prop.get("name") == "database"
    }


def test_integration_layer_passes_on_a_database_built_by_the_apps_own_setup(
    nox_without_toolkit: Path, app_repo: Path, runtime: Path, tmp_path: Path
) -> None:
    # A cache of its own: a template another test of this module stored (in any order)
    # would be restored, and the setup not run at all.
    result = run_nox(
        nox_without_toolkit,
        app_repo,
        "-s",
        "integration",
        TOOLKIT_RUNTIME_DIR=str(runtime),
        TOOLKIT_CACHE_DIR=str(tmp_path / "cold-cache"),
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "initial data created" in result.stderr + result.stdout  # the data script ran
    assert _junit_databases(app_repo) == {"app"}
    assert "| app | - | 7 passed, 0 failed |" in (app_repo / "reports" / "summary.md").read_text()
    assert leftovers(runtime) == []


def test_each_xdist_worker_gets_its_own_database_from_the_template(
    nox_without_toolkit: Path, app_repo: Path, runtime: Path
) -> None:
    xdist = ["--", "-n", "2", "--dist", "loadfile"]
    result = run_nox(
        nox_without_toolkit, app_repo, "-s", "integration", *xdist, TOOLKIT_RUNTIME_DIR=str(runtime)
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # One file per worker (loadfile), each worker on a database of its own; both found
    # the first superuser: their databases are clones of the template the migrations
    # and the data script built, not empty ones.
    assert _junit_databases(app_repo) == {"app_gw0", "app_gw1"}
    assert leftovers(runtime) == []


def test_isolation_reports_the_pair_and_its_command_reproduces_it_from_a_clean_shell(
    nox_without_toolkit: Path, app_repo: Path, runtime: Path
) -> None:
    settings = {"TOOLKIT_RUNTIME_DIR": str(runtime), "TOOLKIT_SEED": str(SEED)}
    result = run_nox(nox_without_toolkit, app_repo, "-s", "isolation", **settings)

    document = json.loads((app_repo / "reports" / "isolation.json").read_text())
    findings = document["packages"]["app"]["findings"]
    assert result.returncode != 0
    kinds = {(f["kind"], f["test"]): f for f in findings}
    assert set(kinds) == {("order-dependent", VICTIM), ("database-leak", POLLUTER)}
    assert kinds["order-dependent", VICTIM]["polluters"] == [POLLUTER]
    findings = [kinds["order-dependent", VICTIM]]  # the pair's command is the one to paste
    assert leftovers(runtime) == []

    # Pasted into a fresh shell at the repository root: nothing of ours in the
    # environment but where the server keeps its files (to check none are left).
    clean = {"PATH": os.defpath, "HOME": os.environ.get("HOME", "/root")}
    clean["TOOLKIT_RUNTIME_DIR"] = str(runtime)
    if "TOOLKIT_CACHE_DIR" in os.environ:
        clean["TOOLKIT_CACHE_DIR"] = os.environ["TOOLKIT_CACHE_DIR"]
    reproduced = subprocess.run(
        ["sh", "-c", findings[0]["reproduce"]],
        cwd=app_repo,
        env=clean,
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )

    assert reproduced.returncode == 1, reproduced.stdout[-3000:] + reproduced.stderr[-3000:]
    assert f"FAILED {VICTIM}" in reproduced.stdout
    assert "Initial Admin" in reproduced.stdout  # the assertion, not a settings error
    assert leftovers(runtime) == []


def test_summary_says_error_for_a_crashed_layer_and_an_aborted_session(
    nox_without_toolkit: Path, tmp_path: Path, runtime: Path
) -> None:
    package = """\
        [project]
        name = "{name}"
        version = "0.1"
        dependencies = [{dependencies}]
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
        [tool.hatch.build.targets.wheel]
        packages = ["{name}"]
    """
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.toolkit]\npackages = ["crashes", "uninstallable", "badsetup"]\n'
            ),
            "noxfile.py": NOXFILE,
            "crashes/pyproject.toml": package.format(name="crashes", dependencies=""),
            "crashes/crashes/__init__.py": "",
            "crashes/tests/integration/conftest.py": "import module_that_does_not_exist\n",
            "crashes/tests/integration/test_it.py": "def test_it():\n    pass\n",
            "uninstallable/pyproject.toml": package.format(
                name="uninstallable",
                dependencies='"helper @ file:///nonexistent/helper"',
            ),
            "uninstallable/uninstallable/__init__.py": "",
            "uninstallable/tests/unit/test_it.py": "def test_it():\n    pass\n",
            "badsetup/pyproject.toml": package.format(name="badsetup", dependencies="")
            + "[tool.toolkit]\nsetup = [\"python -c 'import sys; sys.exit(3)'\"]\n",
            "badsetup/badsetup/__init__.py": "",
            "badsetup/tests/integration/test_it.py": "def test_it():\n    pass\n",
        },
    )

    result = run_nox(
        nox_without_toolkit, tmp_path, "-s", "unit", "integration", TOOLKIT_RUNTIME_DIR=str(runtime)
    )

    summary = (tmp_path / "reports" / "summary.md").read_text()
    rows = {line.split(" | ")[0].strip("| "): line for line in summary.splitlines()[4:]}
    assert result.returncode != 0
    assert set(rows) == {"crashes", "uninstallable", "badsetup"}
    assert (
        "error: ModuleNotFoundError: No module named 'module_that_does_not_exist'"
        in rows["crashes"]
    )
    assert rows["crashes"].endswith("| error |")
    assert "error: uninstallable: its environment could not be installed" in rows["uninstallable"]
    assert rows["uninstallable"].endswith("| error |")
    assert (
        "error: badsetup: the template database could not be built: setup command"
        in rows["badsetup"]
    )
    assert "failed with exit code 3" in rows["badsetup"]
    assert (
        "toolkit: error: setup command \"python -c 'import sys; sys.exit(3)'\" of badsetup failed"
        in result.stderr
    )
    assert "crashes" in result.stdout and "uninstallable" in result.stdout  # terminal table
    assert leftovers(runtime) == []


def test_an_app_on_sqlalchemy_1_4_adopts_the_sessions(
    nox_without_toolkit: Path, tmp_path: Path, runtime: Path
) -> None:
    """The toolkit does not impose SQLAlchemy 2 on an app that does not use its fixtures."""
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["legacy"]\n',
            "noxfile.py": NOXFILE,
            "legacy/pyproject.toml": """\
                [project]
                name = "legacy"
                version = "0.1"
                dependencies = ["sqlalchemy>=1.4,<2", "psycopg2-binary>=2.9"]

                [dependency-groups]
                test = ["pytest>=8"]

                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [tool.hatch.build.targets.wheel]
                packages = ["legacy"]

                [tool.toolkit]
                database_url_scheme = "postgresql+psycopg2"
            """,
            "legacy/legacy/__init__.py": """\
                import os

                import sqlalchemy

                engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"])
            """,
            "legacy/tests/integration/test_engine.py": """\
                import sqlalchemy

                from legacy import engine

                def test_sqlalchemy_1_4_talks_to_the_runs_database():
                    assert sqlalchemy.__version__.startswith("1.4")
                    with engine.connect() as connection:
                        assert connection.execute(sqlalchemy.text("select 1")).scalar() == 1
            """,
        },
    )

    result = run_nox(
        nox_without_toolkit, tmp_path, "-s", "integration", TOOLKIT_RUNTIME_DIR=str(runtime)
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert leftovers(runtime) == []


def _pytest_under(folder: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"pytest" in cmdline and str(folder).encode() in b" ".join(cmdline):
            found.append(int(proc.name))
    return found


def test_pytest_stops_with_a_killed_nox_and_writes_no_report(
    nox_without_toolkit: Path, tmp_path: Path, runtime: Path
) -> None:
    """Before: pytest ran on for its whole suite after kill -9 of nox, then wrote reports."""
    import signal

    from tests.integration.conftest import wait_until
    from tests.integration.sessions.conftest import user_environ

    write_files(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["slow"]\n',
            "noxfile.py": NOXFILE,
            "slow/pyproject.toml": '[project]\nname = "slow"\nversion = "0.1"\n',
            "slow/tests/unit/test_slow.py": "import time\n\ndef test_slow():\n    time.sleep(60)\n",
        },
    )
    run_nox(nox_without_toolkit, tmp_path, "-s", "unit", "--", "--collect-only")  # env ready
    nox = subprocess.Popen(
        [str(nox_without_toolkit), "-s", "unit"],
        cwd=tmp_path,
        env=user_environ(TOOLKIT_RUNTIME_DIR=str(runtime)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until(lambda: bool(_pytest_under(tmp_path)), timeout=120)
        (pytest_pid,) = _pytest_under(tmp_path)
        parent = int(Path(f"/proc/{pytest_pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        os.kill(parent, signal.SIGKILL)  # the nox process running the session

        assert wait_until(lambda: not _pytest_under(tmp_path), timeout=2)
        assert not (tmp_path / "reports" / "slow" / "junit-unit.xml").exists()
    finally:
        nox.kill()
        nox.wait()
