from __future__ import annotations

import pytest

from service_kit.errors import Conflict, DomainError, NotFound


def test_detail_is_the_message() -> None:
    error = Conflict("slug already taken")

    assert (error.detail, str(error)) == ("slug already taken", "slug already taken")


def test_each_kind_has_a_default_detail() -> None:
    assert NotFound().detail == "not found"


def test_kinds_are_domain_errors() -> None:
    with pytest.raises(DomainError):
        raise NotFound("project not found")
