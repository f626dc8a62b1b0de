"""Constants and URLs shared by the integration tests."""

from __future__ import annotations

ORG_ID = 101
OTHER_ORG_ID = 202


def projects_url(org_id: int = ORG_ID) -> str:
    return f"/api/v1/organizations/{org_id}/projects"


def project_url(project_id: int, org_id: int = ORG_ID) -> str:
    return f"{projects_url(org_id)}/{project_id}"
