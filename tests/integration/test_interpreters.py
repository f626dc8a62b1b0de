"""Finding the interpreters a machine has (real ones, probed) and choosing one per package."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.host.test_config import _package, _write
from toolkit.host.config import RepoConfig, load_config


@pytest.fixture
def config(tmp_path: Path) -> RepoConfig:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["api"]\n',
            "api/pyproject.toml": _package("api"),
        },
    )
    return load_config(tmp_path)


def test_a_python_that_is_not_installed_is_one_line_listing_those_found(
    config: RepoConfig,
) -> None:
    from toolkit.errors import ToolkitError
    from toolkit.host import interpreters

    with pytest.raises(ToolkitError) as caught:
        interpreters.choose(config, config.package("api"), "3.99", None)

    message = str(caught.value)
    assert message.startswith(
        "api needs Python 3.99 ([tool.toolkit] python) and it is not installed"
    )
    assert "found: 3." in message and "\n" not in message


def test_requires_python_picks_the_newest_installed_interpreter_it_admits(
    config: RepoConfig,
) -> None:
    from dataclasses import replace

    from toolkit.host import interpreters

    found = interpreters.installed(None)
    newest = found[0]
    below = replace(config.package("api"), requires_python=f"<{newest.minor}")
    exact = replace(config.package("api"), requires_python=f"=={newest.minor}.*")

    assert interpreters.choose(config, exact, None, None).minor == newest.minor
    older = [i for i in found if i.version[:2] < newest.version[:2]]
    if older:
        assert interpreters.choose(config, below, None, None).minor == older[0].minor
