"""Reading a failed unit test's error for the connection it tried."""

from __future__ import annotations

import socket

import pytest
import pytest_socket

from toolkit.testing.connections import Attempt, find_attempt

# pytest-socket warns as it refuses: here the refusal is the point.
pytestmark = pytest.mark.filterwarnings("ignore:A test tried to use socket:UserWarning")


def _raised(function, *args) -> BaseException:
    try:
        function(*args)
    except BaseException as error:
        return error
    raise AssertionError("nothing was raised")


def _app_settings_that_hide_the_cause() -> None:
    """An app that turns any failure into its own error, without ``from``."""
    try:
        socket.getaddrinfo("users-db", 5432)
    except RuntimeError:
        raise ValueError("could not parse the database settings") from None


def test_pytest_sockets_block_names_the_host_even_behind_the_apps_own_error() -> None:
    pytest_socket.disable_socket(allow_unix_socket=True)
    try:
        error = _raised(_app_settings_that_hide_the_cause)
    finally:
        pytest_socket.enable_socket()

    attempt = find_attempt(error)

    assert attempt == Attempt("blocked: the unit layer has no network", "users-db", "5432")


def test_a_blocked_socket_names_the_address_its_caller_was_given() -> None:
    pytest_socket.disable_socket(allow_unix_socket=True)
    try:
        error = _raised(socket.create_connection, ("127.0.0.1", 9), 1)
    finally:
        pytest_socket.enable_socket()

    assert find_attempt(error) == Attempt(
        "blocked: the unit layer has no network", "127.0.0.1", "9"
    )


def _resolve(host: str, port: int) -> None:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_a_name_that_does_not_resolve_names_the_host() -> None:
    error = _raised(_resolve, "users-db", 5432)

    assert find_attempt(error) == Attempt("the name does not resolve", "users-db", "5432")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            '(psycopg2.OperationalError) could not translate host name "users-db" to '
            "address: Name or service not known",
            Attempt("the name does not resolve", "users-db"),
            id="libpq-unresolvable",
        ),
        pytest.param(
            "failed to resolve host 'users-db': [Errno -2] Name or service not known",
            Attempt("the name does not resolve", "users-db"),
            id="psycopg-unresolvable",
        ),
        pytest.param(
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
            "Connection refused\n\tIs the server running on that host and accepting TCP/IP "
            "connections?",
            Attempt("nothing answered", "127.0.0.1", "5432"),
            id="libpq-refused",
        ),
        pytest.param(
            "could not connect to server: Connection refused\n\tIs the server running on host "
            '"localhost" (127.0.0.1) and accepting\n\tTCP/IP connections on port 5432?',
            Attempt("nothing answered", "localhost", "5432"),
            id="old-libpq-refused",
        ),
        pytest.param(
            'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
            "No such file or directory",
            Attempt("nothing answered", "/var/run/postgresql/.s.PGSQL.5432"),
            id="libpq-unix-socket",
        ),
        pytest.param(
            "Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 5432), "
            "[Errno 99] Cannot assign requested address",
            Attempt("nothing answered", "127.0.0.1", "5432"),
            id="asyncpg-refused",
        ),
    ],
)
def test_database_drivers_messages_name_the_host(message: str, expected: Attempt) -> None:
    assert find_attempt(RuntimeError(message)) == expected


class _Group(Exception):
    """Shaped as ExceptionGroup (3.11+) and its backport, which anyio raises on 3.10."""

    def __init__(self, *exceptions: BaseException) -> None:
        super().__init__("task group")
        self.exceptions = exceptions


def test_an_exception_group_member_is_found() -> None:
    group = _Group(KeyError("x"), _raised(_resolve, "cache", 6379))

    assert find_attempt(group) == Attempt("the name does not resolve", "cache", "6379")


def test_an_error_that_is_no_connection_attempt_is_left_alone() -> None:
    assert find_attempt(_raised(lambda: 1 / 0)) is None
    assert find_attempt(AssertionError("host 'x' expected")) is None


def test_the_hint_names_the_test_the_target_and_the_fix() -> None:
    hint = Attempt("the name does not resolve", "users-db", "5432").hint("tests/unit/test_a.py::t")

    assert hint == (
        "toolkit: tests/unit/test_a.py::t tried to connect to users-db:5432 (the name does "
        "not resolve); unit tests run without network or database: move it to "
        "tests/integration (or mock the connection)"
    )
    assert "\n" not in hint
