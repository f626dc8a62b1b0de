"""Where reports go (``reports/`` at the repository root) and how they are read back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from toolkit.host.config import LAYERS, Package, RepoConfig
from toolkit.host.shards import Shard

__all__ = [
    "LayerResult",
    "Outcome",
    "junit_path",
    "layer_result",
    "package_dir",
    "read_outcome",
    "reports_dir",
    "write_outcome",
]


def reports_dir(config: RepoConfig) -> Path:
    path = config.root / "reports"
    path.mkdir(exist_ok=True)
    return path


def package_dir(config: RepoConfig, package: Package) -> Path:
    path = reports_dir(config) / package.name
    path.mkdir(exist_ok=True)
    return path


def part_name(layer: str, shard: Shard | None = None) -> str:
    """``unit``, or ``unit-2of4`` for one shard: shards of one layer never overwrite
    each other's files, so CI jobs can pool their reports."""
    return layer if shard is None else f"{layer}-{shard.index}of{shard.total}"


def junit_path(
    config: RepoConfig, package: Package, layer: str, shard: Shard | None = None
) -> Path:
    return package_dir(config, package) / f"junit-{part_name(layer, shard)}.xml"


def junit_paths(config: RepoConfig, package: Package, layer: str) -> list[Path]:
    """The layer's JUnit files: whole-layer or per-shard."""
    folder = package_dir(config, package)
    return sorted(folder.glob(f"junit-{layer}.xml")) + sorted(
        folder.glob(f"junit-{layer}-*of*.xml")
    )


def coverage_data(
    config: RepoConfig, package: Package, layer: str, shard: Shard | None = None
) -> Path:
    """A layer's coverage data. Not ``.coverage.<layer>``: coverage treats files named
    after its data file plus a suffix as parallel data, and folds (deletes) them
    whenever it reports on the combined ``.coverage``."""
    return package_dir(config, package) / f"{part_name(layer, shard)}.coverage"


def coverage_parts(
    config: RepoConfig,
    package: Package,
    *,
    including: Path | None = None,
    layers: list[str] | None = None,
) -> list[Path]:
    """Every layer's (and shard's) coverage data present for the package (of
    ``layers`` only, when given), and ``including`` (the data a run is about to write)
    whether present or not."""

    def layer_first(path: Path) -> tuple[int, str]:
        layer = path.stem.split("-")[0]
        return (LAYERS.index(layer) if layer in LAYERS else len(LAYERS), path.stem)

    parts = {p for p in package_dir(config, package).glob("*.coverage") if p.name != ".coverage"}
    if layers is not None:
        parts = {p for p in parts if p.stem.split("-")[0] in layers}
    if including is not None:
        parts.add(including)
    return sorted(parts, key=layer_first)


@dataclass(frozen=True)
class LayerResult:
    """A layer's counts as pytest's closing line gives them: ``failed`` tests failed
    their test body, ``errors`` are setup, teardown or collection errors (a fixture
    that could not reach its database is an error, not a failed assertion)."""

    tests: int
    failed: int
    skipped: int
    errors: int = 0
    #: Tests that passed and then errored in teardown: pytest counts them both as
    #: passed and as an error, and JUnit counts them once.
    passed_then_errored: int = 0

    @property
    def passed(self) -> int:
        return self.tests - self.failed - self.errors - self.skipped + self.passed_then_errored

    @property
    def unsuccessful(self) -> int:
        """Failures and errors: what makes pytest's run fail."""
        return self.failed + self.errors


_TEARDOWN_ERROR = "failed on teardown"


def _passed_then_errored(suite: ElementTree.Element) -> int:
    """Teardown errors of tests whose body did not fail: pytest writes them into the
    test's one ``testcase`` and counts that test once in ``tests`` (a failed body and a
    teardown error are two ``testcase`` elements, and ``tests`` counts both)."""
    failed = {
        (case.get("classname"), case.get("name"))
        for case in suite.iter("testcase")
        if case.find("failure") is not None
    }
    count = 0
    for case in suite.iter("testcase"):
        if case.find("failure") is None and (case.get("classname"), case.get("name")) not in failed:
            count += sum(
                (error.get("message") or "").startswith(_TEARDOWN_ERROR)
                for error in case.iter("error")
            )
    return count


def layer_result(paths: list[Path]) -> LayerResult | None:
    """Counts from a layer's JUnit XML files (one, or one per shard); None if none ran."""
    tests = failed = skipped = errors = passed_then_errored = 0
    found = False
    for path in paths:
        try:
            root = ElementTree.parse(path).getroot()
        except (OSError, ElementTree.ParseError):
            continue
        found = True
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        for suite in suites:
            tests += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0))
            errors += int(suite.get("errors", 0))
            skipped += int(suite.get("skipped", 0))
            passed_then_errored += _passed_then_errored(suite)
    if not found:
        return None
    return LayerResult(tests, failed, skipped, errors, passed_then_errored)


def coverage_summary(config: RepoConfig, package: Package) -> dict[str, Any] | None:
    """What the coverage session recorded for the package (percent, threshold...)."""
    path = package_dir(config, package) / "coverage-summary.json"
    if not path.is_file():
        return None
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@dataclass(frozen=True)
class Outcome:
    """How a layer's session ended, beyond what JUnit counts say.

    ``status`` is ``passed``, ``cached`` (passed before with the same inputs: the
    result was replayed, ``reason`` names the key), ``failed`` (tests failed),
    ``error`` (pytest crashed, could not collect, or the session aborted before
    pytest: ``reason`` says why) or ``absent`` (the package has no tests in that layer).
    """

    status: str
    reason: str = ""


def _outcome_path(config: RepoConfig, package: Package, layer: str) -> Path:
    return package_dir(config, package) / f"outcome-{layer}.json"


def write_outcome(config: RepoConfig, package: Package, layer: str, outcome: Outcome) -> None:
    document = {"status": outcome.status, "reason": outcome.reason}
    _outcome_path(config, package, layer).write_text(json.dumps(document) + "\n")


def read_outcome(config: RepoConfig, package: Package, layer: str) -> Outcome | None:
    path = _outcome_path(config, package, layer)
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return Outcome(str(document.get("status", "error")), str(document.get("reason", "")))
