"""The secret that signs result-cache entries: this user's own, or CI's shared one."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.host.cache import secret


def test_a_secret_is_made_on_first_use_readable_by_this_user_only(user_cache: Path) -> None:
    first = secret.load()

    path = user_cache / secret.FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= secret.MINIMUM_LENGTH
    assert secret.load() == first


def test_a_secret_others_can_read_is_refused(user_cache: Path) -> None:
    secret.load()
    (user_cache / secret.FILE_NAME).chmod(0o644)

    with pytest.raises(ToolkitError, match="can be read by other users.*remove"):
        secret.load()


def test_a_secret_that_is_a_symlink_is_refused(user_cache: Path, tmp_path: Path) -> None:
    user_cache.mkdir(mode=0o700)
    planted = tmp_path / "planted"
    planted.write_text("a" * 64)
    planted.chmod(0o600)
    (user_cache / secret.FILE_NAME).symlink_to(planted)

    with pytest.raises(ToolkitError, match="cannot be read"):
        secret.load()


def test_the_shared_secret_comes_from_the_variable_and_leaves_the_environment() -> None:
    """CI jobs that share entries share the secret; no build or test started by the
    sessions may read it, or a test could sign entries of its own."""
    code = (
        "import os; from toolkit.host.cache import secret; "
        f"print(secret.load().decode(), os.environ.get({secret.VARIABLE!r}))"
    )
    given = "s" * 40
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, secret.VARIABLE: given},
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.split() == [given, "None"]


def test_a_short_shared_secret_is_refused_with_the_way_to_make_one() -> None:
    code = "from toolkit.host.cache import secret; secret.load()"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, secret.VARIABLE: "hunter2"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert "is 7 characters long" in result.stderr
    assert "secrets.token_hex(32)" in result.stderr


def test_a_folder_in_the_secrets_place_is_one_line(user_cache: Path) -> None:
    (user_cache / secret.FILE_NAME).mkdir(parents=True)

    with pytest.raises(ToolkitError, match="is not a file"):
        secret.load()
