"""Fixture suites with planted isolation problems, written as files under a folder.

Each test module's tests share state through ``tests/state.py`` (a module-level set),
the way real suites share a cache, a registry or a settings object.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

__all__ = ["module", "pollutes", "suite", "victim_of"]

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
