"""One nox run's state, without nox: seed, records, outcomes, notifications."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from toolkit.host.reports import Outcome
from toolkit.host.run import Run, pytest_args


def test_seed_comes_from_the_environment_and_is_drawn_once(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLKIT_SEED", "1234")
    assert run.seed() == 1234

    monkeypatch.delenv("TOOLKIT_SEED")
    fresh = Run(run.config)
    assert fresh.seed() == fresh.seed()


def test_outcomes_are_per_package_and_layer(run: Run) -> None:
    run.set_outcome(run.config.package("api"), "unit", Outcome("failed", "tests failed"))

    assert run.outcome("api", "unit") == Outcome("failed", "tests failed")
    assert run.outcome("api", "integration") is None
    assert run.outcome("web", "unit") is None


def test_notify_uses_the_registered_names(run: Run) -> None:
    queued: list[str] = []
    session = SimpleNamespace(notify=queued.append, log=print)
    run.session_names.update({"coverage": "cov", "summary": "summary"})

    run.notify(session, "coverage", run.config.package("web"))
    run.notify(session, "summary")

    assert queued == ["cov(web)", "summary"]


def test_pytest_args_leave_out_the_toolkits_own() -> None:
    session = SimpleNamespace(posargs=["-x", "--changed-since=main", "-n", "2"])

    assert pytest_args(session) == ["-x", "-n", "2"]


def test_the_repositorys_postgres_major_reaches_the_runs_server(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    monkeypatch.delenv("TOOLKIT_POSTGRES_VERSION", raising=False)
    pinned = Run(replace(run.config, postgres="16"))
    assert pinned.database.server_environ == {"TOOLKIT_POSTGRES_VERSION": "16"}

    monkeypatch.setenv("TOOLKIT_POSTGRES_VERSION", "15")  # the environment wins
    assert Run(replace(run.config, postgres="16")).database.server_environ == {}
