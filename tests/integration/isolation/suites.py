"""Fixture suites with planted isolation problems, written as files under a folder.

Each test module's tests share state through ``tests/state.py`` (a module-level set),
the way real suites share a cache, a registry or a settings object.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PLANTED",
    "Brittle",
    "home_polluter",
    "cascade",
    "fixture_leaks",
    "flip_flop",
    "misses",
    "module",
    "pollutes",
    "remove_shared_folder",
    "suite",
    "victim_of",
]

PYPROJECT = '[tool.pytest.ini_options]\nmarkers = ["flaky"]\n'


def suite(root: Path, modules: dict[str, str], *, conftest: str = "") -> Path:
    """A suite folder: ``tests/<name>.py`` for each module, a shared ``tests/state.py``."""
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "tests" / "__init__.py").write_text("")
    (root / "tests" / "state.py").write_text("flags = set()\n")
    (root / "tests" / "conftest.py").write_text(textwrap.dedent(conftest))
    for name, body in modules.items():
        (root / "tests" / f"{name}.py").write_text(
            "from tests import state\n\n" + textwrap.dedent(body)
        )
    return root


def module(*tests: str, fillers: int = 0, prefix: str = "filler") -> str:
    """Test functions (given as source), plus ``fillers`` tests that do nothing."""
    body = [textwrap.dedent(test) for test in tests]
    body += [f"def test_{prefix}_{index:03d}():\n    pass\n" for index in range(fillers)]
    return "\n\n".join(body)


def pollutes(name: str, flag: str) -> str:
    return f"def test_{name}():\n    state.flags.add({flag!r})\n"


def victim_of(name: str, condition: str) -> str:
    return f"def test_{name}():\n    assert not ({condition})\n"


# -- Planted suites, one per mechanism real suites showed ---------------------------------
#
# Each returns the suite folder and what the engine must report: ``victims`` maps each
# victim to its polluter sets (None: any non-empty set will do), ``clean`` says the
# suite has no isolation problem at all.


def cwd_leak(root: Path, polluters: int = 3, victims: int = 3) -> tuple[Path, dict]:
    """Early tests ``os.chdir`` into a temporary folder and never return; later tests
    read a file relative to the suite's folder. Victims fail in file order and in most
    random orders; each passes alone; every polluter alone is enough."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "settings.txt").write_text("debug = false\n")
    wanders = "import os, tempfile\n\n" + "\n\n".join(
        f"def test_wanders_{index}():\n    os.chdir(tempfile.mkdtemp())\n"
        for index in range(polluters)
    )
    reads = "\n\n".join(
        f"def test_reads_{index}():\n    assert open('data/settings.txt').read()\n"
        for index in range(victims)
    )
    suite(
        root,
        {
            "test_a_setup": module(wanders, fillers=2, prefix="a"),
            "test_b_misc": module(fillers=4, prefix="b"),
            "test_c_settings": module(reads, fillers=2, prefix="c"),
        },
    )
    sets = [[f"tests/test_a_setup.py::test_wanders_{index}"] for index in range(polluters)]
    return root, {f"tests/test_c_settings.py::test_reads_{i}": sets for i in range(victims)}


ENV_CLASSES = """
import os
import unittest


class TestAEnablesFeature(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ["TOOLKIT_PLANTED_FEATURE"] = "on"  # never undone

    def test_enabled(self):
        assert os.environ["TOOLKIT_PLANTED_FEATURE"] == "on"

    def test_other(self):
        pass


class TestBResetsEnvironment(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ.pop("TOOLKIT_PLANTED_FEATURE", None)

    def test_reset(self):
        pass


class TestCDefaults(unittest.TestCase):
{victims}
"""


def env_in_setupclass(root: Path, victims: int = 3) -> tuple[Path, dict]:
    """A class sets an environment variable in ``setUpClass`` and never removes it; a
    class between it and the victims' class (in file order) clears it, so file order
    passes, and its exact reverse too."""
    body = "\n".join(
        f"    def test_default_{index}(self):\n"
        f"        assert 'TOOLKIT_PLANTED_FEATURE' not in os.environ\n"
        for index in range(victims)
    )
    suite(root, {"test_feature": ENV_CLASSES.format(victims=body)})
    return root, {
        f"tests/test_feature.py::TestCDefaults::test_default_{index}": None
        for index in range(victims)
    }


def registry(root: Path) -> tuple[Path, dict]:
    """A module-level registry: two tests each register a handler for the same name and
    never unregister; the victim asserts the name is free. Two victims, each with two
    independent polluters of its own."""
    (root / "tests").mkdir(parents=True, exist_ok=True)

    def registers(name: str, key: str) -> str:
        return f"def test_{name}():\n    state.registry[{key!r}] = print\n"

    def free(name: str, key: str) -> str:
        return f"def test_{name}():\n    assert {key!r} not in state.registry\n"

    suite(
        root,
        {
            "test_a_plugins": module(
                registers("registers_csv", "csv"),
                registers("registers_json", "json"),
                fillers=3,
                prefix="a",
            ),
            "test_b_more": module(registers("registers_csv_again", "csv"), fillers=3, prefix="b"),
            "test_c_extra": module(
                registers("registers_json_again", "json"), fillers=3, prefix="c"
            ),
            "test_d_free": module(
                free("csv_is_free", "csv"), free("json_is_free", "json"), prefix="d"
            ),
        },
    )
    (root / "tests" / "state.py").write_text("flags = set()\nregistry = {}\n")
    return root, {
        "tests/test_d_free.py::test_csv_is_free": [
            ["tests/test_a_plugins.py::test_registers_csv"],
            ["tests/test_b_more.py::test_registers_csv_again"],
        ],
        "tests/test_d_free.py::test_json_is_free": [
            ["tests/test_a_plugins.py::test_registers_json"],
            ["tests/test_c_extra.py::test_registers_json_again"],
        ],
    }


def one_polluter_eight_victims(root: Path, victims: int = 8) -> tuple[Path, dict]:
    """One test fills a module-level cache; eight tests in four modules assume it empty."""
    modules = {"test_a_cache": module(pollutes("warms_cache", "cached"), fillers=3, prefix="a")}
    per_module = victims // 4
    expected = {}
    for index in range(4):
        name = f"test_{'bcde'[index]}_reader"
        tests = [
            victim_of(f"reads_cold_{index}_{number}", "'cached' in state.flags")
            for number in range(per_module)
        ]
        modules[name] = module(*tests, fillers=2, prefix=f"r{index}")
        for number in range(per_module):
            expected[f"tests/{name}.py::test_reads_cold_{index}_{number}"] = [
                ["tests/test_a_cache.py::test_warms_cache"]
            ]
    suite(root, modules)
    return root, expected


CHANGES_PASSWORD = """
def test_update_password_me():
    state.account["password"] = "new"
    # Fails once another test changed the e-mail: the password is never changed back.
    assert state.account["email"] == "admin"
    state.account["password"] = "old"
"""


def cascade(root: Path, victims: int = 4) -> tuple[Path, dict]:
    """One victim is the others' polluter, as on the FastAPI full-stack template: a test
    changes the account's e-mail; the password test fails after it and, failing
    half-way, leaves the password changed; the login tests then fail (their polluter
    set is both). Apart from them, a simple pair: a late test turns a flag on that an
    early test expects off, so only orders that put it first (the reverse) fail it."""
    logins = [
        f"def test_login_{index}():\n    assert state.account['password'] == 'old'\n"
        for index in range(victims)
    ]
    suite(
        root,
        {
            "test_a_defaults": module(
                victim_of("debug_is_off", "'debug' in state.flags"), fillers=3, prefix="a"
            ),
            "test_b_profile": module(
                "def test_update_email_me():\n    state.account['email'] = 'changed'\n",
                fillers=3,
                prefix="b",
            ),
            "test_c_password": module(CHANGES_PASSWORD, fillers=3, prefix="c"),
            "test_d_login": module(*logins, fillers=2, prefix="d"),
            "test_e_debug": module(pollutes("enables_debug", "debug"), fillers=2, prefix="e"),
        },
    )
    (root / "tests" / "state.py").write_text(
        "flags = set()\naccount = {'email': 'admin', 'password': 'old'}\n"
    )
    email = "tests/test_b_profile.py::test_update_email_me"
    password = "tests/test_c_password.py::test_update_password_me"
    expected = {password: [[email]]}
    expected.update(
        {f"tests/test_d_login.py::test_login_{i}": [[email, password]] for i in range(victims)}
    )
    expected["tests/test_a_defaults.py::test_debug_is_off"] = [
        ["tests/test_e_debug.py::test_enables_debug"]
    ]
    return root, expected


FLIPS = """
import pathlib


def test_flips():
    counter = pathlib.Path(__file__).with_name(".flips-executions")
    executions = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(executions))
    assert executions % 2 == 0, "fails on every other execution"
"""


def flip_flop(root: Path) -> tuple[Path, dict]:
    """A test whose outcome changes on every execution, whatever ran before it: it
    fails in file order and passes alone next, as an order-dependent test would;
    only runs repeated one after the other show it flips by itself."""
    suite(root, {"test_a_flips": module(FLIPS, fillers=5, prefix="a")})
    return root, {}


def fixed_tmp_path(root: Path, tests: int = 12) -> tuple[Path, dict]:
    """Order-independent tests that all write, wait for and read back one fixed path
    under /tmp: one process at a time they always pass; two at once (concurrent
    orders, xdist workers) overwrite each other's file. The folder's name is unique
    to this suite and created by it."""
    import uuid

    folder = Path("/tmp") / f"toolkit-planted-{uuid.uuid4().hex}"
    body = f"import os, time\n\nSHARED = {str(folder / 'shared.txt')!r}\n\n" + "\n\n".join(
        f"def test_roundtrip_{index}():\n"
        f"    os.makedirs(os.path.dirname(SHARED), exist_ok=True)\n"
        f"    with open(SHARED, 'w') as handle:\n"
        f"        handle.write('{index}')\n"
        f"    time.sleep(0.02)\n"
        f"    with open(SHARED) as handle:\n"
        f"        assert handle.read() == '{index}'\n"
        for index in range(tests)
    )
    suite(root, {"test_a_files": body, "test_b_files": body.replace("roundtrip", "again")})
    (root / "shared-folder.txt").write_text(str(folder))
    return root, {}


LEAKS_CONFTEST = """
import os

import pytest
import sqlalchemy as sa

URL = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
engine = sa.create_engine(URL, poolclass=sa.pool.NullPool)
metadata = sa.MetaData()
users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.Text))
notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))
audit = sa.Table("audit", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("event", sa.Text))
flags = sa.Table("flags", metadata, sa.Column("name", sa.Text, primary_key=True))


@pytest.fixture(scope="session", autouse=True)
def schema():
    metadata.create_all(engine)  # cleans up: every table it made is dropped at the end
    yield
    metadata.drop_all(engine)


@pytest.fixture(scope="session")
def seeded_users(schema):
    with engine.begin() as connection:  # seeds, then removes what it seeded
        connection.execute(sa.insert(users), [{"id": i, "name": f"user {i}"} for i in (1, 2, 3)])
    yield
    with engine.begin() as connection:
        connection.execute(sa.delete(users).where(users.c.id.in_([1, 2, 3])))


@pytest.fixture(scope="session")
def audit_trail(schema):
    with engine.begin() as connection:  # never removed
        connection.execute(sa.insert(audit), [{"event": "boot"}, {"event": "login"}])
    yield


@pytest.fixture(scope="package")
def beta_flag(schema):
    with engine.begin() as connection:  # never removed
        connection.execute(sa.insert(flags).values(name="beta"))
    yield
"""

LEAKS_USERS = """
import sqlalchemy as sa
from tests.conftest import engine, users


def test_sees_the_seeded_users(seeded_users):
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(users)) == 3


def test_rolls_back(seeded_users):
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(sa.insert(users).values(id=99, name="rolled back"))
        transaction.rollback()
"""

LEAKS_REPORTS = """
import pytest
import sqlalchemy as sa
from tests.conftest import engine

reports_metadata = sa.MetaData()
reports = sa.Table("reports", reports_metadata, sa.Column("id", sa.Integer, primary_key=True))


@pytest.fixture(scope="module")
def report_tables():
    reports_metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.insert(reports), [{"id": i} for i in range(6)])
    yield
    reports_metadata.drop_all(engine)  # module teardown: -6 rows and the table, its own


def test_counts_reports(report_tables):
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(reports)) == 6
"""

LEAKS_SCRATCH = """
from unittest import mock

import pytest
import sqlalchemy as sa
from tests.conftest import engine


def test_formats_with_a_mock():
    # Runs right after the reports module's teardown: it touches no database.
    repository = mock.Mock()
    repository.count.return_value = 2
    assert f"{repository.count()} reports" == "2 reports"


@pytest.fixture(scope="module")
def scratch_table():
    with engine.begin() as connection:
        connection.execute(sa.text("create table scratch (id integer primary key)"))
    yield  # never dropped


def test_uses_scratch(scratch_table):
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from scratch")).scalar() == 0
"""

LEAKS_CLASSES = """
import pytest
import sqlalchemy as sa
from tests.conftest import audit, engine, users


@pytest.fixture(scope="class")
def renamed_users(seeded_users):
    with engine.begin() as connection:  # never renamed back
        connection.execute(sa.update(users).where(users.c.id < 3).values(name="renamed"))
    yield


@pytest.mark.usefixtures("renamed_users")
class TestRenames:
    def test_sees_renamed(self):
        with engine.connect() as connection:
            renamed = sa.select(sa.func.count()).where(users.c.name == "renamed")
            assert connection.scalar(renamed) == 2


def test_reads_the_audit_trail(audit_trail):
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(audit)) >= 2
"""

LEAKS_TESTS = """
import sqlalchemy as sa
from tests.conftest import engine, notes, users


def test_commits_a_note():
    with engine.begin() as connection:
        connection.execute(sa.insert(notes).values(body="left behind"))


def test_renames_a_user(seeded_users):
    with engine.begin() as connection:
        connection.execute(sa.update(users).where(users.c.id == 3).values(name="changed"))


def test_beta_is_on(beta_flag):
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from flags")).scalar() == 1
"""


def fixture_leaks(root: Path) -> tuple[Path, dict[tuple[str, str], dict]]:
    """An older app's fixtures, one leak per scope beside fixtures that clean up.

    Needs ``DATABASE_URL`` and a fresh database per process (the sessions' template,
    ``TOOLKIT_DATABASE_TEMPLATE``, naming an empty one). Leaks: a session fixture that
    seeds an audit trail and never removes it, a module fixture that creates a table
    and never drops it, a class fixture that renames two rows, a package fixture that
    turns a flag on for good, a test that commits a row, a test that renames one. Not leaks: the session ``schema`` fixture
    (``create_all``/``drop_all``), a session fixture that seeds users and removes them
    (the first test must not get its rows), a module fixture that drops its table at
    module end (the mock-only test after it must not get the drop), a rolled-back test.
    Returns what the engine must report: ``{(fixture or test, scope or "test"): tables}``.
    """
    suite(
        root,
        {
            "test_a_users": LEAKS_USERS,
            "test_b_reports": LEAKS_REPORTS,
            "test_c_scratch": LEAKS_SCRATCH,
            "test_d_classes": LEAKS_CLASSES,
            "test_e_tests": LEAKS_TESTS,
        },
        conftest=LEAKS_CONFTEST,
    )
    return root, {
        ("tests/conftest.py::audit_trail", "session"): {"public.audit": "+2 rows"},
        ("tests/test_c_scratch.py::scratch_table", "module"): {"public.scratch": "table created"},
        ("tests/test_d_classes.py::renamed_users", "class"): {"public.users": "2 rows updated"},
        ("tests/conftest.py::beta_flag", "package"): {"public.flags": "+1 row"},
        ("tests/test_e_tests.py::test_commits_a_note", "test"): {"public.notes": "+1 row"},
        ("tests/test_e_tests.py::test_renames_a_user", "test"): {"public.users": "1 row updated"},
    }


VICTIM_FIRST = """
import os
import unittest


class TestAUsesDefaults(unittest.TestCase):
{victims}

class TestBClearsFlags(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ.pop("TOOLKIT_PLANTED_FLAG", None)

    def test_cleared(self):
        pass


class TestCSetsFlag(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ["TOOLKIT_PLANTED_FLAG"] = "on"  # never undone

    def test_flag_on(self):
        assert os.environ["TOOLKIT_PLANTED_FLAG"] == "on"
"""


def victim_before_polluter(root: Path, victims: int = 3) -> tuple[Path, dict]:
    """The victims' class comes first in file order, a class that clears the variable
    next, the class that sets it in ``setUpClass`` last: file order runs the victims
    before the polluter, its reverse runs the cleaner between them, the interleaved
    order runs the victims first again; only an order that puts the polluter directly
    before the victims (the interleaved order reversed, some random orders) fails them."""
    body = "\n".join(
        f"    def test_default_{index}(self):\n"
        f"        assert 'TOOLKIT_PLANTED_FLAG' not in os.environ\n"
        for index in range(victims)
    )
    suite(root, {"test_flags": VICTIM_FIRST.format(victims=body)})
    polluter = [["tests/test_flags.py::TestCSetsFlag::test_flag_on"]]
    return root, {
        f"tests/test_flags.py::TestAUsesDefaults::test_default_{index}": polluter
        for index in range(victims)
    }


def _setup_class(name: str, body: str, tests: list[str]) -> str:
    methods = "".join(f"\n    def test_{test}(self):\n        {check}\n" for test, check in tests)
    return (
        f"class {name}(unittest.TestCase):\n    @classmethod\n    def setUpClass(cls):\n"
        f"        {body}\n{methods}\n"
    )


#: Where each cause's classes sit in file order: polluter right before its victims,
#: right after them, two apart with a cleaner between (either way).
_LAYOUTS = ["pv"] * 4 + ["vp"] * 3 + ["pcv"] * 2 + ["vcp"]


def many_polluting_classes(root: Path) -> tuple[Path, dict]:
    """Ten classes each leave a flag of their own set in ``setUpClass``; 38 tests in ten
    other classes assume their flag is not set (4 or 3 per cause). Some victims' class
    follows its polluter's, some comes before it, some sit behind a class that clears
    the flag (polluter, cleaner, victims, and the other way round); causes are spread
    over two modules, and every flag is shared by all of them."""
    modules: dict[str, list[str]] = {"test_m1_classes": [], "test_m2_classes": []}
    expected: dict[str, list[list[str]]] = {}
    for cause, layout in enumerate(_LAYOUTS):
        module = "test_m1_classes" if cause % 2 == 0 else "test_m2_classes"
        flag = f"flag{cause}"
        count = 4 if cause < 8 else 3
        polluter = _setup_class(
            f"TestPolluter{cause}", f"state.flags.add({flag!r})", [("runs", "pass")]
        )
        victims = _setup_class(
            f"TestVictims{cause}",
            "pass",
            [
                (f"expects_no_{flag}_{n}", f"assert {flag!r} not in state.flags")
                for n in range(count)
            ],
        )
        cleaner = _setup_class(
            f"TestCleaner{cause}", f"state.flags.discard({flag!r})", [("cleans", "pass")]
        )
        parts = {"p": polluter, "v": victims, "c": cleaner}
        modules[module] += [parts[letter] for letter in layout]
        for n in range(count):
            expected[f"tests/{module}.py::TestVictims{cause}::test_expects_no_{flag}_{n}"] = [
                [f"tests/{module}.py::TestPolluter{cause}::test_runs"]
            ]
    suite(root, {name: "import unittest\n\n\n" + "\n".join(body) for name, body in modules.items()})
    return root, expected


@dataclass(frozen=True)
class Brittle:
    """What a planted brittle test must be reported with: state-setter sets made of
    ``setters`` only (any of them)."""

    setters: frozenset[str]


def brittle_first(root: Path, tests: int = 6) -> tuple[Path, dict]:
    """Six tests fail when nothing set the configuration before them, and pass after
    either of two tests that load it: one first in file order, one last. File order,
    its reverse, the interleaved order and its reverse all run a loader first; only
    running each test alone (or a random order that happens to put it first) shows them."""
    brittle = "\n\n".join(
        f"def test_reads_config_{index}():\n    assert 'config' in state.flags\n"
        for index in range(tests)
    )
    suite(
        root,
        {
            "test_config": module(
                pollutes("a_loads_config", "config"),
                brittle,
                pollutes("z_reloads_config", "config"),
            ),
            "test_other": module(fillers=4, prefix="o"),
        },
    )
    setters = Brittle(
        frozenset(
            f"tests/test_config.py::test_{name}" for name in ("a_loads_config", "z_reloads_config")
        )
    )
    return root, {f"tests/test_config.py::test_reads_config_{i}": setters for i in range(tests)}


HOME_POLLUTER = """
import os
import tempfile

CACHE = os.path.expanduser("~/.toolkit-planted-cache")
SCRATCH = os.path.join(tempfile.gettempdir(), "{scratch}")


def test_a_fills_cache():
    os.makedirs(CACHE, exist_ok=True)
    open(os.path.join(CACHE, "entry"), "w").close()
    os.makedirs(SCRATCH, exist_ok=True)


def test_b_cache_is_cold():
    assert not os.path.exists(CACHE)
"""


def home_polluter(root: Path) -> tuple[Path, dict]:
    """A test creates a dot-folder in HOME and a folder in the temporary folder and never
    removes them; a later test expects no cache in HOME. In the user's own HOME the first
    run would leave the folder behind, and every later run would fail the victim alone."""
    import uuid

    scratch = f"toolkit-planted-{uuid.uuid4().hex}"
    suite(root, {"test_cache": HOME_POLLUTER.format(scratch=scratch)})
    (root / "scratch-name.txt").write_text(scratch)
    return root, {
        "tests/test_cache.py::test_b_cache_is_cold": [["tests/test_cache.py::test_a_fills_cache"]]
    }


def remove_shared_folder(root: Path) -> None:
    """Remove the fixed /tmp folder a :func:`fixed_tmp_path` suite wrote to."""
    import shutil

    marker = root / "shared-folder.txt"
    if marker.is_file():
        folder = Path(marker.read_text())
        if folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.getuid():
            shutil.rmtree(folder)


def misses(report, expected: dict) -> list[str]:
    """What ``report`` gets wrong against a planted suite's ``expected`` victims: a
    victim not found, a polluter set missing or extra, any other finding."""
    problems = []
    found = {f.test: f for f in report.findings if f.kind == "order-dependent"}
    brittle = {f.test: f for f in report.findings if f.kind == "brittle"}
    for victim, sets in expected.items():
        if isinstance(sets, Brittle):
            setters = brittle.get(victim)
            if setters is None:
                problems.append(f"brittle test not found: {victim}")
            elif not setters.state_setters or not set(setters.state_setters) <= sets.setters:
                problems.append(f"{victim}: state-setters {setters.state_setters}")
            continue
        finding = found.get(victim)
        if finding is None:
            problems.append(f"victim not found: {victim}")
            continue
        got = finding.details["polluter_sets"]
        if sets is None:
            if not got or any("TestAEnablesFeature" not in test for g in got for test in g):
                problems.append(f"{victim}: polluter sets {got}")
        elif sorted(got) != sorted(sets) or not finding.details["search_complete"]:
            problems.append(
                f"{victim}: polluter sets {got} (complete: {finding.details['search_complete']}), "
                f"planted {sets}"
            )
    problems += [
        f"unexpected {f.kind}: {f.test}"
        for f in report.findings
        if f.test not in expected
        or f.kind != ("brittle" if isinstance(expected[f.test], Brittle) else "order-dependent")
    ]
    return problems


PLANTED = {
    "cwd-leak": cwd_leak,
    "env-in-setupclass": env_in_setupclass,
    "registry": registry,
    "one-polluter-eight-victims": one_polluter_eight_victims,
    "cascade": cascade,
    "fixed-tmp-path": fixed_tmp_path,
    "victim-before-polluter": victim_before_polluter,
    "many-polluting-classes": many_polluting_classes,
    "brittle-first": brittle_first,
}


def three_causes(root: Path) -> tuple[Path, dict]:
    """The full-stack template's shape: 60 tests in 6 modules, 13 victims of 3 causes
    (a cache warmed, a setting flipped, a registry entry left), 5 + 4 + 4 victims."""
    causes = {"cache": 5, "setting": 4, "entry": 4}
    polluters = {
        name: f"tests/test_m0{index}.py::test_leaves_{name}" for index, name in enumerate(causes)
    }
    modules: dict[str, list[str]] = {f"test_m{index:02d}": [] for index in range(6)}
    for index, name in enumerate(causes):
        modules[f"test_m{index:02d}"].append(pollutes(f"leaves_{name}", name))
    expected = {}
    slot = 0
    for name, count in causes.items():
        for number in range(count):
            target = f"test_m{3 + slot % 3:02d}"
            slot += 1
            modules[target].append(
                victim_of(f"expects_no_{name}_{number}", f"{name!r} in state.flags")
            )
            expected[f"tests/{target}.py::test_expects_no_{name}_{number}"] = [[polluters[name]]]
    suite(
        root,
        {
            name: module(*tests, fillers=10 - len(tests), prefix=name[5:])
            for name, tests in modules.items()
        },
    )
    return root, expected
