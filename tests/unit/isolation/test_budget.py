"""``isolation_budget`` and ``isolation_max_sets`` in ``[tool.toolkit]``."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.host.config import load_config
from toolkit.isolation.budget import DEFAULT_BUDGET, parse_budget, parse_max_sets


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param(90, 90.0, id="number"),
        pytest.param(2.5, 2.5, id="fraction"),
        pytest.param("600", 600.0, id="number-as-text"),
        pytest.param("10m", 600.0, id="minutes"),
        pytest.param("1h30m", 5400.0, id="hours-and-minutes"),
        pytest.param("45s", 45.0, id="seconds"),
        pytest.param("1m 30s", 90.0, id="with-space"),
    ],
)
def test_budget_is_seconds_or_a_duration(value: object, seconds: float) -> None:
    assert parse_budget(value) == seconds


@pytest.mark.parametrize("value", [0, -5, "", "ten minutes", "10 parsecs", True, [10]])
def test_budget_that_is_not_a_positive_duration_is_one_clear_error(value: object) -> None:
    with pytest.raises(ToolkitError) as raised:
        parse_budget(value)

    assert str(raised.value) == (
        f"isolation_budget in [tool.toolkit] = {value!r} is not a positive duration; "
        'use seconds or a duration, e.g. isolation_budget = "10m"'
    )


@pytest.mark.parametrize("value", [0, -1, 2.5, "5", False])
def test_max_sets_must_be_a_positive_whole_number(value: object) -> None:
    with pytest.raises(ToolkitError, match="isolation_max_sets in \\[tool.toolkit\\]"):
        parse_max_sets(value)


def _repo(root: Path, settings: str) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "0"\n')
    (root / "pyproject.toml").write_text(f'[tool.toolkit]\npackages = ["pkg"]\n{settings}')
    return root


def test_repository_settings_reach_the_config(tmp_path: Path) -> None:
    config = load_config(_repo(tmp_path, 'isolation_budget = "2m"\nisolation_max_sets = 3\n'))

    assert config.isolation_budget == 120.0
    assert config.isolation_max_sets == 3


def test_without_settings_the_defaults_apply(tmp_path: Path) -> None:
    config = load_config(_repo(tmp_path, ""))

    assert config.isolation_budget == DEFAULT_BUDGET == 600.0
    assert config.isolation_max_sets == 5
