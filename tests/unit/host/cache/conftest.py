from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This user's cache folder, where the result cache's secret is made on first use."""
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(folder))
    return folder
