from __future__ import annotations

import pytest

from toolkit.errors import ToolkitError
from toolkit.host.shards import Shard


def test_shard_reads_k_of_n() -> None:
    assert Shard.parse(" 2/4 ") == Shard(2, 4)
    assert Shard(2, 4).pytest_args("d.json")[:2] == ["--splits=4", "--group=2"]


@pytest.mark.parametrize("text", ["0/3", "4/3", "two", "1/0"])
def test_bad_shard_setting_is_named(text: str) -> None:
    with pytest.raises(ToolkitError, match=f"TOOLKIT_SHARD='{text}' is not a shard"):
        Shard.parse(text)


def test_a_shard_count_no_ci_runs_is_refused_before_it_takes_the_memory() -> None:
    with pytest.raises(ToolkitError, match="99,999,999,999 shards.*at most 1000"):
        Shard.parse("1/99999999999")
