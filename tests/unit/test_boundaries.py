"""The rule the design rests on, checked: nox's process imports the standard library,
nox, and the toolkit's host-side modules, nothing else.

A noxfile imports ``toolkit.sessions`` with whatever nox's own environment has (often
nox alone); SQLAlchemy, psycopg, coverage and pytest live in package environments.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import toolkit

TOOLKIT = Path(toolkit.__file__).resolve().parent
#: What runs in nox's process: the sessions' work, their registration, and the
#: isolation engine they drive (its child-run plugins live in toolkit/testing).
HOST = sorted(
    [
        *TOOLKIT.glob("host/**/*.py"),
        *(TOOLKIT / name for name in ("__init__.py", "sessions.py", "registration.py")),
        *(TOOLKIT / name for name in ("errors.py", "variables.py", "_toml.py", "_lifetime.py")),
        TOOLKIT / "coverage_inputs.py",
        # The server's coordinates, read and written with the standard library.
        *(TOOLKIT / "postgres" / name for name in ("__init__.py", "server.py", "urls.py")),
        # Where the toolkit keeps files, and the check that a folder is ours.
        TOOLKIT / "postgres" / "_paths.py",
        *TOOLKIT.glob("isolation/*.py"),
    ]
)
#: nox, and what nox itself depends on and so always brings.
ALLOWED_THIRD_PARTY = {"nox", "packaging"}


def _runtime_nodes(node: ast.AST) -> list[ast.AST]:
    """Every node that can run: ``if TYPE_CHECKING:`` blocks are for type checkers only."""
    found = [node]
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and getattr(child.test, "id", None) == "TYPE_CHECKING":
            for orelse in child.orelse:
                found += _runtime_nodes(orelse)
            continue
        found += _runtime_nodes(child)
    return found


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports at run time, at any depth (function-level too)."""
    found = []
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _host_module(name: str) -> bool:
    parts = name.split(".")
    candidates = [TOOLKIT.joinpath(*parts[1:]).with_suffix(".py"), TOOLKIT.joinpath(*parts[1:])]
    for candidate in candidates:
        if candidate.is_dir():
            candidate = candidate / "__init__.py"
        if candidate in HOST:
            return True
    return False


@pytest.mark.parametrize("path", HOST, ids=lambda path: str(path.relative_to(TOOLKIT)))
def test_host_modules_import_only_the_standard_library_nox_and_host_modules(path: Path) -> None:
    wrong = [
        f"{path.relative_to(TOOLKIT)}:{line} imports {name}"
        for line, name in _imports(path)
        if not (
            (path.name == "_toml.py" and name == "tomli")  # below 3.11 only: never the host
            or name.split(".")[0] in sys.stdlib_module_names
            or name.split(".")[0] in ALLOWED_THIRD_PARTY
            or (name.split(".")[0] == "toolkit" and (name == "toolkit" or _host_module(name)))
        )
    ]

    assert wrong == []


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        "if TYPE_CHECKING:\n    import psycopg\n"
        "def f():\n    import sqlalchemy\n    from toolkit.testing import plugin\n"
    )

    assert [name for _, name in _imports(planted)] == ["sqlalchemy", "toolkit.testing"]
    assert not _host_module("toolkit.testing")
    assert _host_module("toolkit.host.config")
