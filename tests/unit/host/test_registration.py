"""Session registration's pure parts: which sessions nox was asked for, unknown packages.
Registering into nox is tested through nox itself (tests/integration/sessions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.host.test_config import _package, _write
from toolkit.errors import ToolkitError
from toolkit.host.config import load_config


@pytest.fixture
def sessions_module():
    from toolkit.host import registration

    return registration


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
