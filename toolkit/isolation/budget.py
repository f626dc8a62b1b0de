"""The isolation settings a repository gives in ``[tool.toolkit]``, checked.

``isolation_budget`` is how long the engine may search per package before it reports
what it has confirmed and lists the rest: seconds as a number, or a duration such as
``"10m"``, ``"90s"``, ``"1h30m"``. ``isolation_max_sets`` caps how many independent
polluter sets are searched per victim. Standard library only (read by the config).
"""

from __future__ import annotations

import re

from toolkit.errors import ToolkitError

__all__ = ["DEFAULT_BUDGET", "DEFAULT_MAX_SETS", "parse_budget", "parse_max_sets"]

#: Seconds of searching per package: a few minutes of pytest runs at most.
DEFAULT_BUDGET = 600.0
DEFAULT_MAX_SETS = 5

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s|ms)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_budget(value: object, where: str = "isolation_budget in [tool.toolkit]") -> float:
    """Seconds from a number of seconds or a duration string (``"10m"``, ``"1h30m"``)."""
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if re.fullmatch(r"\d+(\.\d+)?", text):
            seconds = float(text)
        elif text and _PART.sub("", text) == "":
            seconds = sum(float(n) * _UNIT[unit] for n, unit in _PART.findall(text))
    if seconds is None or seconds <= 0:
        raise ToolkitError(
            f"{where} = {value!r} is not a positive duration",
            'use seconds or a duration, e.g. isolation_budget = "10m"',
        )
    return seconds


def parse_max_sets(value: object, where: str = "isolation_max_sets in [tool.toolkit]") -> int:
    """A positive whole number of polluter sets per victim."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ToolkitError(
            f"{where} = {value!r} is not a positive whole number",
            "use e.g. isolation_max_sets = 5",
        )
    return value
