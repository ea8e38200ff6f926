"""The public read cache across real processes (issue 10's correctness target): two
`pricing-graph serve` processes on one database, as two workers or hosts. A catalog write
through one (a new version, publish, archive) changes the very next anonymous answer of
the other, which held the older one; and an answer kept for anonymous callers is never
given to a partner, sales or admin caller."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.support.server import logged_server

from pricing_graph.demo.seed import seed_demo

ADMIN = {"Authorization": "Bearer pgk_demoadmin_demo-only-admin-secret"}
KEYED = {
    "admin": ADMIN,
    "sales": {"Authorization": "Bearer pgk_demosales_demo-only-sales-secret"},
    "partner": {"Authorization": "Bearer pgk_demopartner_demo-only-partner-secret"},
}
PUBLIC = "public, max-age=30, stale-while-revalidate=60"
PUBLIC_PLANS = """query PublicPlans($key: String!) {
  product(key: $key) {
    plans(status: PUBLISHED, visibility: PUBLIC) { nodes { id key version name } }
  }
}"""
PLAN_ACTION = """mutation($id: ID!) {{
  {name}(input: {{id: $id}}) {{ plan {{ id status version }} errors {{ code }} }}
}}"""
RENAME = """mutation($input: UpdatePlanInput!) {
  updatePlan(input: $input) { plan { name } errors { code } }
}"""


@pytest.fixture(scope="module")
def servers(module_database_url: str) -> Iterator[tuple[str, str]]:
    asyncio.run(seed_demo(module_database_url))
    with (
        logged_server(module_database_url) as one,
        logged_server(module_database_url) as other,
    ):
        yield one.base, other.base


def anonymous(base: str, **headers: str) -> httpx.Response:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": PUBLIC_PLANS, "variables": {"key": "cloud-database"}},
        headers=headers,
    )
    assert response.status_code in (200, 304), response.text
    return response


def admin(base: str, document: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/graphql", json={"query": document, "variables": variables}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    ((_, payload),) = response.json()["data"].items()
    assert payload["errors"] == [], payload
    return dict(payload)


def plans(response: httpx.Response) -> list[tuple[str, int, str]]:
    nodes = response.json()["data"]["product"]["plans"]["nodes"]
    return [(node["key"], node["version"], node["name"]) for node in nodes]


def test_new_version_publish_and_archive_change_the_next_answer_elsewhere(
    servers: tuple[str, str],
) -> None:
    one, other = servers
    before = anonymous(other)
    assert anonymous(other).content == before.content  # kept by `other`
    assert before.headers["cache-control"] == PUBLIC
    ((node_id, key, version, name),) = [
        (node["id"], node["key"], node["version"], node["name"])
        for node in before.json()["data"]["product"]["plans"]["nodes"][:1]
    ]

    # A new version: a DRAFT, not public, so the answer reads the same, but it is a new
    # answer (a new catalog version): the old tag no longer matches.
    draft = admin(one, PLAN_ACTION.format(name="createPlanVersion"), id=node_id)["plan"]
    assert (draft["status"], draft["version"]) == ("DRAFT", version + 1)
    after_copy = anonymous(other, **{"If-None-Match": before.headers["etag"]})
    assert after_copy.status_code == 200
    assert after_copy.headers["etag"] != before.headers["etag"]
    assert plans(after_copy) == plans(before)

    # Publish it (renamed first): the very next anonymous answer there shows it, and the
    # version it replaced (now archived) is gone.
    admin(one, RENAME, input={"id": draft["id"], "name": f"{name} (v{version + 1})"})
    published = admin(one, PLAN_ACTION.format(name="publishPlan"), id=draft["id"])["plan"]
    assert published["status"] == "PUBLISHED"
    after_publish = anonymous(other)
    assert (key, version + 1, f"{name} (v{version + 1})") in plans(after_publish)
    assert all(shown[:2] != (key, version) for shown in plans(after_publish))
    assert anonymous(other).content == after_publish.content  # kept again

    # Archive it: the very next anonymous answer there no longer lists the key.
    admin(one, PLAN_ACTION.format(name="archivePlan"), id=draft["id"])
    after_archive = anonymous(other)
    assert all(shown[0] != key for shown in plans(after_archive))
    assert plans(after_archive) == [shown for shown in plans(before) if shown[0] != key]


@pytest.mark.parametrize("role", sorted(KEYED))
def test_a_kept_public_answer_is_never_given_to_a_caller_with_a_key(
    servers: tuple[str, str], role: str
) -> None:
    _, other = servers
    count = "{ plans(first: 100) { totalCount } }"
    public = httpx.post(f"{other}/graphql", json={"query": count})
    assert httpx.post(f"{other}/graphql", json={"query": count}).content == public.content
    keyed = httpx.post(
        f"{other}/graphql",
        json={"query": count},
        headers={**KEYED[role], "If-None-Match": public.headers["etag"]},
    )
    assert keyed.status_code == 200  # never the public 304
    assert keyed.headers["cache-control"] == "private, no-store"
    assert "etag" not in keyed.headers
    public_count = public.json()["data"]["plans"]["totalCount"]
    keyed_count = keyed.json()["data"]["plans"]["totalCount"]
    if role in ("admin", "sales"):  # they see the private plans and the drafts too
        assert keyed_count > public_count
    else:
        assert keyed_count >= public_count
