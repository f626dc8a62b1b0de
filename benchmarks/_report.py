"""What every benchmark prints with: repeated samples and plain-text tables."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Sample", "heading", "print_targets", "render_table", "stats_cells"]


@dataclass(frozen=True)
class Sample:
    """Repeated measurements of one quantity (seconds)."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain text, first column left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        parts = [str(first).ljust(widths[0])]
        parts += [str(cell).rjust(width) for cell, width in zip(rest, widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def stats_cells(sample: Sample, scale: float = 1.0, digits: int = 2) -> list[str]:
    """Median and min..max, in the table's unit (``scale`` converts from seconds)."""
    return [
        f"{sample.median * scale:.{digits}f}",
        f"{sample.low * scale:.{digits}f}..{sample.high * scale:.{digits}f}",
    ]


def heading(title: str) -> None:
    print(f"\n{title}\n{'=' * len(title)}", flush=True)


def print_targets(checks: Sequence[tuple[str, bool, str]]) -> int:
    """Print each target, whether it was met and what was measured; the exit code:
    0 when every target was met."""
    print()
    rows = [[target, "yes" if met else "NO", measured] for target, met, measured in checks]
    print(render_table(["target", "met", "measured"], rows))
    return 0 if all(met for _, met, _ in checks) else 1
