"""Shards: one layer of one package split across CI jobs by recorded test durations.

``TOOLKIT_SHARD=k/N`` makes a layer run its k-th of N groups, chosen by pytest-split's
``least_duration`` algorithm from the package's ``.test_durations`` (pytest-split's own
format, recorded with ``TOOLKIT_STORE_DURATIONS=1``). Every shard of a run uses the
same random-order seed, so the groups are the same in every job.

Standard library only: the nox host imports this.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from toolkit.errors import ToolkitError

__all__ = ["DURATIONS_FILE", "Shard", "shard_from_env", "storing_durations"]

DURATIONS_FILE = ".test_durations"
_FORM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


#: More shards than any CI runs jobs: beyond it, a number is a typo.
MAX_SHARDS = 1000


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as pytest-split's --group
    total: int

    @classmethod
    def parse(cls, text: str, source: str = "TOOLKIT_SHARD") -> Shard:
        match = _FORM.match(text)
        if not match or not 1 <= int(match[1]) <= int(match[2]):
            raise ToolkitError(
                f"{source}={text!r} is not a shard",
                "use k/N with 1 <= k <= N, e.g. TOOLKIT_SHARD=2/4",
            )
        if int(match[2]) > MAX_SHARDS:
            # pytest-split builds a list per shard: a typo of a few digits more took
            # all the machine's memory.
            raise ToolkitError(
                f"{source}={text!r} splits a suite into {int(match[2]):,} shards",
                f"use at most {MAX_SHARDS} shards (one per CI job), e.g. TOOLKIT_SHARD=2/4",
            )
        return cls(int(match[1]), int(match[2]))

    def pytest_args(self, durations_path: str) -> list[str]:
        return [
            f"--splits={self.total}",
            f"--group={self.index}",
            "--splitting-algorithm=least_duration",
            f"--durations-path={durations_path}",
        ]


def shard_from_env() -> Shard | None:
    raw = os.environ.get("TOOLKIT_SHARD", "").strip()
    return Shard.parse(raw) if raw else None


def storing_durations() -> bool:
    """``TOOLKIT_STORE_DURATIONS``: record durations when set. A value that reads as
    "off" (``0``, ``false``) is refused rather than taken as on, as any value would be."""
    raw = os.environ.get("TOOLKIT_STORE_DURATIONS", "").strip()
    if raw.lower() in ("0", "false", "no", "off"):
        raise ToolkitError(
            f"TOOLKIT_STORE_DURATIONS={raw!r} would record durations all the same",
            "unset it to run without recording, or set it to 1 to record",
        )
    return bool(raw)
