"""Where reports go (``reports/`` at the repository root) and how they are read back."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from toolkit.config import Package, RepoConfig

__all__ = ["LayerResult", "junit_path", "layer_result", "package_dir", "reports_dir"]


def reports_dir(config: RepoConfig) -> Path:
    path = config.root / "reports"
    path.mkdir(exist_ok=True)
    return path


def package_dir(config: RepoConfig, package: Package) -> Path:
    path = reports_dir(config) / package.name
    path.mkdir(exist_ok=True)
    return path


def junit_path(config: RepoConfig, package: Package, layer: str) -> Path:
    return package_dir(config, package) / f"junit-{layer}.xml"


def coverage_data(config: RepoConfig, package: Package, layer: str) -> Path:
    """A layer's coverage data. Not ``.coverage.<layer>``: coverage treats files named
    after its data file plus a suffix as parallel data, and folds (deletes) them
    whenever it reports on the combined ``.coverage``."""
    return package_dir(config, package) / f"{layer}.coverage"


@dataclass(frozen=True)
class LayerResult:
    tests: int
    failed: int
    skipped: int

    @property
    def passed(self) -> int:
        return self.tests - self.failed - self.skipped


def layer_result(path: Path) -> LayerResult | None:
    """Counts from a JUnit XML file; None when the layer has not run."""
    if not path.is_file():
        return None
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError:
        return None
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return LayerResult(tests, failed, skipped)


def coverage_summary(config: RepoConfig, package: Package) -> dict | None:
    path = package_dir(config, package) / "coverage-summary.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text())
