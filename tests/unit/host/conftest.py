"""A small repository on disk, and a Run over it, for the sessions' work."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.host.test_config import _package, _write
from toolkit.host.config import RepoConfig, load_config
from toolkit.host.run import Run


@pytest.fixture
def config(tmp_path: Path) -> RepoConfig:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["apps/*"]\nfail_under = 80\n',
            "apps/api/pyproject.toml": _package("api"),
            "apps/api/tests/unit/test_x.py": "",
            "apps/api/tests/integration/test_y.py": "",
            "apps/web/pyproject.toml": _package("web"),
            "apps/web/tests/unit/test_x.py": "",
        },
    )
    return load_config(tmp_path)


@pytest.fixture
def run(config: RepoConfig) -> Run:
    return Run(config)
