"""Request validation: what clients may send."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from projects.schemas import ProjectCreate, ProjectUpdate


def error_fields(error: ValidationError) -> list[str]:
    return [str(item["loc"][-1]) if item["loc"] else "" for item in error.errors()]


def test_create_strips_name_and_defaults_description() -> None:
    data = ProjectCreate.model_validate({"name": "  Apollo  "})

    assert (data.name, data.description) == ("Apollo", "")


@pytest.mark.parametrize(
    "payload,field",
    [
        pytest.param({}, "name", id="missing-name"),
        pytest.param({"name": ""}, "name", id="empty-name"),
        pytest.param({"name": "   "}, "name", id="blank-name"),
        pytest.param({"name": "x" * 201}, "name", id="name-too-long"),
        pytest.param({"name": "?!"}, "name", id="name-without-letters"),
        pytest.param({"name": "a\x00b"}, "name", id="name-with-nul"),
        pytest.param({"name": 5}, "name", id="name-not-a-string"),
        pytest.param(
            {"name": "A", "description": "d" * 2001}, "description", id="description-too-long"
        ),
        pytest.param(
            {"name": "A", "description": "\x00"}, "description", id="description-with-nul"
        ),
        pytest.param({"name": "A", "owner_id": 3}, "owner_id", id="unknown-field"),
    ],
)
def test_create_rejects_invalid_payload_naming_the_field(payload: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ProjectCreate.model_validate(payload)

    assert field in error_fields(caught.value)


def test_update_reports_only_fields_that_were_sent() -> None:
    assert ProjectUpdate.model_validate({"status": "archived"}).changes() == {"status": "archived"}
    assert ProjectUpdate.model_validate({}).changes() == {}


@pytest.mark.parametrize(
    "payload,field",
    [
        pytest.param({"name": None}, "name", id="null-name"),
        pytest.param({"status": None}, "status", id="null-status"),
        pytest.param({"description": None}, "description", id="null-description"),
        pytest.param({"status": "deleted"}, "status", id="unknown-status"),
        pytest.param({"slug": "custom"}, "slug", id="slug-not-writable"),
    ],
)
def test_update_rejects_null_and_unknown_values(payload: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ProjectUpdate.model_validate(payload)

    assert field in error_fields(caught.value)


def test_update_schema_marks_fields_optional_but_not_nullable() -> None:
    properties = ProjectUpdate.model_json_schema()["properties"]

    assert properties["name"]["type"] == "string"
    assert all("default" not in schema for schema in properties.values())
    assert "required" not in ProjectUpdate.model_json_schema()
