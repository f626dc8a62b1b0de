from __future__ import annotations

import pytest

from projects.repositories.projects import escape_like


@pytest.mark.parametrize(
    "text,expected",
    [
        pytest.param("rover", "rover", id="plain"),
        pytest.param("100%", "100\\%", id="percent"),
        pytest.param("a_b", "a\\_b", id="underscore"),
        pytest.param("c:\\dir", "c:\\\\dir", id="backslash-first"),
    ],
)
def test_search_text_is_matched_literally(text: str, expected: str) -> None:
    assert escape_like(text) == expected
