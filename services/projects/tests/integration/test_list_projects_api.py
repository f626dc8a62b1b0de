"""GET /api/v1/organizations/{org_id}/projects: pagination, filters, order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import ProjectFactory
from tests.integration.helpers import ORG_ID, OTHER_ORG_ID, projects_url

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def names(response) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


async def test_member_lists_only_the_organizations_projects(client, member) -> None:
    ProjectFactory(organization_id=ORG_ID, name="Ours", created_at=T0)
    ProjectFactory(organization_id=OTHER_ORG_ID, name="Theirs", created_at=T0)

    response = await client.get(projects_url(), headers=member.headers)

    assert response.status_code == 200
    body = response.json()
    assert (names(response), body["total"], body["limit"], body["offset"]) == (["Ours"], 1, 20, 0)
    assert set(body["items"][0]) == {
        "id",
        "organization_id",
        "owner_id",
        "name",
        "slug",
        "description",
        "status",
        "created_at",
        "updated_at",
    }


async def test_empty_organization_lists_nothing(client, member) -> None:
    response = await client.get(projects_url(), headers=member.headers)

    assert response.json() == {"items": [], "total": 0, "limit": 20, "offset": 0}


async def test_order_is_created_at_then_id(client, member) -> None:
    # Inserted out of order; two share a timestamp, so id breaks the tie.
    ProjectFactory(organization_id=ORG_ID, name="Third", created_at=T0 + timedelta(hours=2))
    ProjectFactory(organization_id=ORG_ID, name="First", created_at=T0)
    ProjectFactory(organization_id=ORG_ID, name="Second A", created_at=T0 + timedelta(hours=1))
    ProjectFactory(organization_id=ORG_ID, name="Second B", created_at=T0 + timedelta(hours=1))

    response = await client.get(projects_url(), headers=member.headers)

    assert names(response) == ["First", "Second A", "Second B", "Third"]


async def test_pages_are_disjoint_and_cover_everything(client, member) -> None:
    for index in range(7):
        ProjectFactory(organization_id=ORG_ID, name=f"P{index}", created_at=T0)

    pages = [
        await client.get(
            projects_url(), params={"limit": 3, "offset": offset}, headers=member.headers
        )
        for offset in (0, 3, 6, 9)
    ]

    assert [names(page) for page in pages] == [
        ["P0", "P1", "P2"],
        ["P3", "P4", "P5"],
        ["P6"],
        [],
    ]
    assert {page.json()["total"] for page in pages} == {7}
    assert [page.json()["offset"] for page in pages] == [0, 3, 6, 9]


async def test_default_page_size_is_20(client, member) -> None:
    ProjectFactory.create_batch(25, organization_id=ORG_ID)

    response = await client.get(projects_url(), headers=member.headers)

    assert (len(response.json()["items"]), response.json()["total"]) == (20, 25)


@pytest.mark.parametrize(
    "params,expected",
    [
        pytest.param({"status": "archived"}, ["Old Rover"], id="status-archived"),
        pytest.param({"status": "active"}, ["Mars Rover", "Moon Base"], id="status-active"),
        pytest.param({"q": "rover"}, ["Mars Rover", "Old Rover"], id="q-case-insensitive"),
        pytest.param({"q": "ON BA"}, ["Moon Base"], id="q-substring-across-words"),
        pytest.param({"owner_id": 77}, ["Moon Base"], id="owner"),
        pytest.param({"q": "rover", "status": "active"}, ["Mars Rover"], id="filters-combine"),
        pytest.param({"q": "zzz"}, [], id="no-match"),
    ],
)
async def test_filters_narrow_items_and_total(client, member, params, expected) -> None:
    ProjectFactory(organization_id=ORG_ID, name="Mars Rover", owner_id=76, created_at=T0)
    ProjectFactory(
        organization_id=ORG_ID,
        name="Old Rover",
        status="archived",
        owner_id=76,
        created_at=T0 + timedelta(minutes=1),
    )
    ProjectFactory(
        organization_id=ORG_ID, name="Moon Base", owner_id=77, created_at=T0 + timedelta(minutes=2)
    )

    response = await client.get(projects_url(), params=params, headers=member.headers)

    assert response.status_code == 200
    assert (names(response), response.json()["total"]) == (expected, len(expected))


@pytest.mark.parametrize(
    "q,expected",
    [
        pytest.param("100%", ["100% Coverage"], id="percent-is-literal"),
        pytest.param("a_b", ["a_b tools"], id="underscore-is-literal"),
    ],
)
async def test_search_wildcards_are_matched_literally(client, member, q, expected) -> None:
    ProjectFactory(organization_id=ORG_ID, name="100% Coverage", created_at=T0)
    ProjectFactory(organization_id=ORG_ID, name="1000 Coverage", created_at=T0)
    ProjectFactory(organization_id=ORG_ID, name="a_b tools", created_at=T0)
    ProjectFactory(organization_id=ORG_ID, name="axb tools", created_at=T0)

    response = await client.get(projects_url(), params={"q": q}, headers=member.headers)

    assert names(response) == expected


@pytest.mark.parametrize(
    "params,field",
    [
        pytest.param({"limit": 0}, "limit", id="limit-zero"),
        pytest.param({"limit": 101}, "limit", id="limit-over-100"),
        pytest.param({"offset": -1}, "offset", id="negative-offset"),
        pytest.param({"status": "deleted"}, "status", id="unknown-status"),
        pytest.param({"owner_id": "me"}, "owner_id", id="owner-not-integer"),
    ],
)
async def test_invalid_query_is_422_naming_the_parameter(client, member, params, field) -> None:
    response = await client.get(projects_url(), params=params, headers=member.headers)

    assert response.status_code == 422
    assert ["query", field] in [error["loc"] for error in response.json()["detail"]]


async def test_non_member_gets_404_not_403(client, outsider) -> None:
    ProjectFactory(organization_id=ORG_ID)

    response = await client.get(projects_url(), headers=outsider.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "organization not found"}


async def test_unknown_organization_looks_the_same_as_a_foreign_one(client, outsider) -> None:
    ProjectFactory(organization_id=ORG_ID)

    foreign = await client.get(projects_url(ORG_ID), headers=outsider.headers)
    unknown = await client.get(projects_url(999_999), headers=outsider.headers)

    assert (foreign.status_code, foreign.json()) == (unknown.status_code, unknown.json())
