from __future__ import annotations

import pytest

from projects.slugs import slugify


@pytest.mark.parametrize(
    "name,expected",
    [
        pytest.param("Apollo", "apollo", id="single-word"),
        pytest.param("Hello World", "hello-world", id="spaces"),
        pytest.param("  Hello,   World!  ", "hello-world", id="punctuation-and-padding"),
        pytest.param("Café Crème", "cafe-creme", id="accents-dropped"),
        pytest.param("STRASSE straße", "strasse-strasse", id="casefold"),
        pytest.param("项目 Alpha", "项目-alpha", id="non-latin-script-kept"),
        pytest.param("Q3_report-v2", "q3-report-v2", id="underscores-and-dashes"),
        pytest.param("ﬁnance", "finance", id="compatibility-ligature"),
        pytest.param("!!! ---", "", id="no-letters-or-digits"),
    ],
)
def test_slugify_derives_url_safe_identity_from_name(name: str, expected: str) -> None:
    assert slugify(name) == expected


def test_slugify_names_differing_in_case_and_punctuation_collide() -> None:
    assert slugify("Mars Rover") == slugify("mars-rover") == slugify("MARS  rover.")


def test_slugify_truncates_without_trailing_dash() -> None:
    slug = slugify("ab " * 100, max_length=10)

    assert slug == "ab-ab-ab-a"
    assert slugify("abcd efgh", max_length=5) == "abcd"
