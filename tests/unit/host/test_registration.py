"""Session registration, without a nox run: nox's registry is global, so each test
restores it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.host.test_config import _package, _write
from toolkit.errors import ToolkitError
from toolkit.host.config import load_config


@pytest.fixture
def sessions_module():
    import nox.registry

    from toolkit.host import registration

    saved = dict(nox.registry._REGISTRY)
    nox.registry._REGISTRY.clear()
    try:
        yield registration
    finally:
        nox.registry._REGISTRY.clear()
        nox.registry._REGISTRY.update(saved)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(
            ["nox", "-s", "unit(a)", "integration", "-r"], ["unit(a)", "integration"], id="short"
        ),
        pytest.param(["nox", "--session=coverage(b)"], ["coverage(b)"], id="equals"),
        pytest.param(
            ["nox", "--sessions", "x", "y", "--", "-k", "z"], ["x", "y"], id="posargs-ignored"
        ),
        pytest.param(["nox", "-l"], [], id="none"),
    ],
)
def test_requested_sessions_are_read_from_nox_arguments(sessions_module, argv, expected) -> None:
    assert sessions_module._requested_sessions(argv) == expected


def test_unknown_package_in_a_session_name_is_named(sessions_module, tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["users"]\n',
            "users/pyproject.toml": _package("users"),
        },
    )
    config = load_config(tmp_path)
    names = {name: name for name in sessions_module.SESSIONS}

    with pytest.raises(
        ToolkitError,
        match=r"unknown package 'user' in 'unit\(user-py3.12\)'; did you mean 'users'\?",
    ):
        sessions_module._check_requested_packages(config, names, ["nox", "-s", "unit(user-py3.12)"])
    sessions_module._check_requested_packages(
        config, names, ["nox", "-s", "unit(users)", "unit(users-py3.13)", "other(x)"]
    )


def test_register_can_rename_and_skip(sessions_module, tmp_path: Path) -> None:
    import nox.registry

    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["users"]\n',
            "users/pyproject.toml": _package("users"),
        },
    )

    sessions_module.register(tmp_path, names={"unit": "fast"}, skip={"isolation"})

    assert set(nox.registry.get()) == {"fast", "integration", "coverage", "summary"}


def test_importing_sessions_registers_the_repository_in_the_working_directory(
    sessions_module, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib
    import sys

    import nox.registry

    _write(
        tmp_path,
        {"pyproject.toml": '[tool.toolkit]\npackages = ["p"]\n', "p/pyproject.toml": _package("p")},
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "toolkit.sessions", raising=False)

    importlib.import_module("toolkit.sessions")

    assert set(nox.registry.get()) == {"unit", "integration", "coverage", "isolation", "summary"}
