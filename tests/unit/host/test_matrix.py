"""The CI matrix, and the example workflow that consumes it."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from tests.unit.host.test_config import _package, _write
from toolkit.host.cache import DEFAULT_FOLDER
from toolkit.host.changes import Selection
from toolkit.host.config import load_config
from toolkit.host.matrix import build_matrix

WORKFLOW = Path(__file__).resolve().parents[3] / ".github" / "workflows" / "tests.yml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["p/*"]\n',
            "p/a/pyproject.toml": _package("a"),
            "p/a/tests/unit/test_x.py": "",
            "p/a/tests/integration/test_y.py": "",
            "p/b/pyproject.toml": _package("b"),
            "p/b/tests/unit/test_x.py": "",
        },
    )


def test_matrix_has_one_entry_per_package_layer_and_shard(repo: Path) -> None:
    matrix = build_matrix(load_config(repo), shards=2, seed=7)

    entries = [(e["session"], e["shard"], e["env"]["TOOLKIT_SHARD"]) for e in matrix["include"]]
    assert entries == [
        ("unit(a)", 1, "1/2"),
        ("unit(a)", 2, "2/2"),
        ("integration(a)", 1, "1/2"),
        ("integration(a)", 2, "2/2"),
        ("unit(b)", 1, "1/2"),
        ("unit(b)", 2, "2/2"),
    ]
    assert {entry["env"]["TOOLKIT_SEED"] for entry in matrix["include"]} == {"7"}


def test_matrix_keeps_only_selected_packages(repo: Path) -> None:
    selection = Selection("main", {"b": "changed: p/b/x.py"})

    matrix = build_matrix(load_config(repo), selection=selection, layers=("unit",))

    assert [entry["session"] for entry in matrix["include"]] == ["unit(b)"]
    assert "TOOLKIT_SHARD" not in matrix["include"][0]["env"]


def test_matrix_command_prints_json(repo: Path, capsys) -> None:
    from toolkit.cli import main

    assert main(["matrix", "--root", str(repo), "--layers", "integration", "--seed", "3"]) == 0

    assert [e["session"] for e in json.loads(capsys.readouterr().out)["include"]] == [
        "integration(a)"
    ]


def _run_steps(workflow: dict) -> list[str]:
    return [
        step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step
    ]


def _without_expressions(command: str) -> str:
    """Replace GitHub ``${{ ... }}`` expressions by a plausible value (a number for
    ``--seed``)."""
    command = re.sub(r"(--seed )\$\{\{[^}]*\}\}", r"\g<1>1", command)
    return re.sub(r"\$\{\{[^}]*\}\}", "x", command)


def test_workflow_calls_real_commands() -> None:
    from toolkit.cli import _parser

    workflow = yaml.safe_load(WORKFLOW.read_text())
    runs = [_without_expressions(run) for run in _run_steps(workflow)]
    commands = [shlex.split(run) for run in runs]

    # toolkit calls, also inside $( ... ), must parse with the real command line
    toolkit_calls = [call for run in runs for call in re.findall(r"\btoolkit ([^)\n]*)", run)]
    assert toolkit_calls, "the plan job must build the matrix with toolkit matrix"
    for call in toolkit_calls:
        assert _parser().parse_args(shlex.split(call)).command == "matrix"
    nox_sessions = [
        command[command.index("-s") + 1] for command in commands if command[:1] == ["nox"]
    ]
    assert nox_sessions == ["x", "coverage"]  # the matrix entry's session, then coverage
    assert (
        workflow["jobs"]["test"]["strategy"]["matrix"]
        == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    )


def test_workflow_uploads_reports_and_pools_them_for_coverage() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]

    uploads = [
        step["with"]["path"]
        for step in steps
        if step.get("uses", "").startswith("actions/upload-artifact")
    ]
    downloads = [
        step["with"]["path"]
        for step in steps
        if step.get("uses", "").startswith("actions/download-artifact")
    ]
    assert uploads and set(uploads) == {"reports/"}
    assert downloads == ["reports/"]
    assert (
        workflow["jobs"]["test"]["env"]["TOOLKIT_SHARD"]
        == "${{ matrix.shard }}/${{ matrix.shards }}"
    )


def test_workflow_persists_the_result_cache_per_job() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (step,) = [
        step
        for step in workflow["jobs"]["test"]["steps"]
        if step.get("uses", "").startswith("actions/cache")
    ]

    assert step["with"]["path"] == DEFAULT_FOLDER
    for part in ("matrix.package", "matrix.layer", "matrix.shard", "github.sha"):
        assert part in step["with"]["key"]
    assert "--seed" in workflow["jobs"]["plan"]["steps"][-1]["run"]  # stable within a PR
