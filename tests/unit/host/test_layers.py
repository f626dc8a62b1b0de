"""Why a pytest run could not run its tests, read from its output."""

from __future__ import annotations

import collections

from toolkit.host.layers import _broken_run_reason


def _reason(output: str, code: int = 1) -> str:
    return _broken_run_reason(code, collections.deque(output.splitlines()))


def test_a_plugin_crash_is_told_by_the_line_naming_its_exception() -> None:
    output = (
        "INTERNALERROR> Traceback (most recent call last):\n"
        "INTERNALERROR> E   pytest_cov.DistCovError: Detected dynamic_context=test_function\n"
        "INTERNALERROR> E   It is recommended to use --cov-context instead.\n"
    )

    assert _reason(output, 3).startswith("pytest_cov.DistCovError: Detected dynamic_context")


def test_a_collection_error_is_told_by_pytests_summary_line() -> None:
    output = "E   ModuleNotFoundError: No module named 'x'\nERROR tests/test_a.py - ModuleNotFoundError\n"

    assert _reason(output, 2) == "tests/test_a.py - ModuleNotFoundError"


def test_a_conftest_import_crash_is_told_by_its_exception() -> None:
    output = (
        "ImportError while loading conftest '/x/tests/conftest.py'.\n"
        "tests/conftest.py:1: in <module>\n"
        "E   ModuleNotFoundError: No module named 'nope'\n"
    )

    assert _reason(output, 4) == "ModuleNotFoundError: No module named 'nope'"


def test_an_import_crash_is_told_by_the_exception_not_the_hint_after_it() -> None:
    output = (
        "ImportError while loading conftest '/app/tests/conftest.py'.\n"
        "E   pydantic.errors.PydanticUserError: `model_config` cannot be used as a model "
        "field name.\n"
        "E\n"
        "E   For further information visit https://errors.pydantic.dev/2.14/u/model-config\n"
    )

    assert _reason(output, code=4) == (
        "pydantic.errors.PydanticUserError: `model_config` cannot be used as a model field name."
    )
