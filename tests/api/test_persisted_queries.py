"""Persisted documents (docs/caching.md): Apollo's automatic persisted queries over POST and
GET, the hash check, registration bounds and limits, trusted documents and the
trusted-only mode. In process (httpx over ASGI) on a seeded demo database of each backend."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse, print_ast
from tests.api.test_public_cache import ADMIN_KEY, PRICING_PAGE, bearer, graphql_app, statements

from pricing_graph.api.persisted import MAX_REGISTERED_BYTES, load_trusted
from pricing_graph.app import PricingGraphQL, create_app
from pricing_graph.demo.seed import seed_demo
from pricing_graph.settings import Settings

CONTRACT = Path(__file__).parents[2] / "frontend-contract"
PAGE_HASH = hashlib.sha256(PRICING_PAGE.encode()).hexdigest()
VARIABLES = {"productKey": "ai-api", "locale": "en_US"}
NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


@pytest.fixture(scope="module")
def seeded_url(module_database_url: str) -> str:
    asyncio.run(seed_demo(module_database_url))
    return module_database_url


@asynccontextmanager
async def serving(
    url: str, **changes: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, PricingGraphQL]]:
    settings = Settings(
        database_url=url,
        api_keys={ADMIN_KEY: frozenset({"admin"})},
        rate_limit_per_second=0,
        trusted_documents_dir=str(CONTRACT),
        **changes,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield http, graphql_app(app)


def persisted(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def get_params(query: str | None, digest: str, variables: dict[str, Any]) -> dict[str, str]:
    params = {
        "extensions": json.dumps(persisted(digest)),
        "variables": json.dumps(variables),
    }
    if query is not None:
        params["query"] = query
    return params


PRODUCTS = "query Products { products { nodes { key name } } }"


async def test_apq_over_post_not_found_then_register_then_hit(seeded_url: str) -> None:
    async with serving(seeded_url) as (http, graphql):
        digest = sha(PRODUCTS)
        missing = await http.post("/graphql", json={"extensions": persisted(digest)})
        assert missing.status_code == 200
        assert missing.json() == NOT_FOUND
        assert missing.headers["cache-control"] == "no-store"
        registered = await http.post(
            "/graphql", json={"query": PRODUCTS, "extensions": persisted(digest)}
        )
        assert registered.status_code == 200
        keys = {node["key"] for node in registered.json()["data"]["products"]["nodes"]}
        assert "ai-api" in keys
        assert graphql.documents.registered == {digest: PRODUCTS}
        with statements(graphql) as counter:
            hit = await http.post("/graphql", json={"extensions": persisted(digest.upper())})
        assert hit.content == registered.content
        # The catalog version; the answer came from the cache.
        assert (counter.version.count, counter.run.count) == (1, 0)
        # The same document sent as text shares the answer and its tag.
        plain = await http.post("/graphql", json={"query": PRODUCTS})
        assert plain.headers["etag"] == hit.headers["etag"]


async def test_apq_over_get_so_a_cdn_can_cache(seeded_url: str) -> None:
    async with serving(seeded_url) as (http, graphql):
        query = "query OneProduct($k: String!) { product(key: $k) { key name } }"
        digest = sha(query)
        variables = {"k": "cloud-database"}
        missing = await http.get("/graphql", params=get_params(None, digest, variables))
        assert missing.status_code == 200
        assert missing.json() == NOT_FOUND
        registered = await http.get("/graphql", params=get_params(query, digest, variables))
        assert registered.status_code == 200
        assert registered.json()["data"]["product"]["key"] == "cloud-database"
        hit = await http.get("/graphql", params=get_params(None, digest, variables))
        assert hit.status_code == 200
        assert hit.content == registered.content
        assert hit.headers["cache-control"] == "public, max-age=30, stale-while-revalidate=60"
        assert graphql.cache.hits == 1
        revalidated = await http.get(
            "/graphql",
            params=get_params(None, digest, variables),
            headers={"If-None-Match": hit.headers["etag"]},
        )
        assert revalidated.status_code == 304


async def test_a_hash_that_is_not_the_querys_is_refused(seeded_url: str) -> None:
    async with serving(seeded_url) as (http, graphql):
        response = await http.post(
            "/graphql", json={"query": PRODUCTS, "extensions": persisted("0" * 64)}
        )
        assert response.status_code == 400
        (error,) = response.json()["errors"]
        assert error["extensions"] == {
            "code": "PERSISTED_QUERY_HASH_MISMATCH",
            "field": "extensions.persistedQuery.sha256Hash",
        }
        assert graphql.documents.registered == {}
        # With a key too (resolved after the caller is known).
        keyed = await http.post(
            "/graphql",
            json={"query": PRODUCTS, "extensions": persisted("1" * 64)},
            headers=bearer(ADMIN_KEY),
        )
        assert keyed.status_code == 400
        assert keyed.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
        assert keyed.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize(
    "extensions",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
        {"persistedQuery": {"version": 1, "sha256Hash": "not-hex"}},
        {"persistedQuery": "yes"},
    ],
)
async def test_a_malformed_persisted_query_is_a_typed_400(
    seeded_url: str, extensions: dict[str, Any]
) -> None:
    async with serving(seeded_url) as (http, _):
        response = await http.post("/graphql", json={"extensions": extensions})
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_INVALID"


async def test_callers_with_a_key_use_apq_and_are_never_cached(seeded_url: str) -> None:
    async with serving(seeded_url) as (http, graphql):
        query = "{ plans(first: 100) { totalCount } }"
        digest = sha(query)
        missing = await http.post(
            "/graphql", json={"extensions": persisted(digest)}, headers=bearer(ADMIN_KEY)
        )
        assert missing.json() == NOT_FOUND
        await http.post(
            "/graphql",
            json={"query": query, "extensions": persisted(digest)},
            headers=bearer(ADMIN_KEY),
        )
        hit = await http.post(
            "/graphql", json={"extensions": persisted(digest)}, headers=bearer(ADMIN_KEY)
        )
        assert hit.json()["data"]["plans"]["totalCount"] > 0
        assert hit.headers["cache-control"] == "private, no-store"
        assert len(graphql.cache) == 0


async def test_the_frontend_contract_is_trusted_ahead(seeded_url: str) -> None:
    trusted = load_trusted(CONTRACT)
    assert PAGE_HASH in trusted
    for path in CONTRACT.glob("*/*.graphql"):  # each file's text, and its canonical print
        text = path.read_text()
        assert trusted[sha(text)] == text
        assert sha(print_ast(parse(text))) in trusted
    printed = print_ast(parse(PRICING_PAGE))
    assert trusted[sha(printed)] == printed
    async with serving(seeded_url) as (http, graphql):
        response = await http.post(
            "/graphql", json={"extensions": persisted(PAGE_HASH), "variables": VARIABLES}
        )
        assert response.status_code == 200
        assert response.json()["data"]["product"]["key"] == "ai-api"
        assert graphql.documents.registered == {}


async def test_trusted_only_mode(seeded_url: str) -> None:
    async with serving(seeded_url, trusted_documents_only=True) as (http, graphql):
        by_hash = await http.post(
            "/graphql", json={"extensions": persisted(PAGE_HASH), "variables": VARIABLES}
        )
        assert by_hash.status_code == 200
        as_text = await http.post("/graphql", json={"query": PRICING_PAGE, "variables": VARIABLES})
        assert as_text.status_code == 200
        assert as_text.content == by_hash.content
        printed = print_ast(parse(PRICING_PAGE))  # as Apollo's clients send it
        apollo = await http.post(
            "/graphql",
            json={"query": printed, "extensions": persisted(sha(printed)), "variables": VARIABLES},
        )
        assert apollo.status_code == 200
        assert apollo.content == by_hash.content
        for request in (
            {"query": PRODUCTS},
            {"extensions": persisted(sha(PRODUCTS))},
            {"query": PRODUCTS, "extensions": persisted(sha(PRODUCTS))},
        ):
            refused = await http.post("/graphql", json=request)
            assert refused.status_code == 400
            (error,) = refused.json()["errors"]
            assert error["extensions"] == {"code": "DOCUMENT_NOT_TRUSTED", "field": "query"}
        got = await http.get("/graphql", params={"query": PRODUCTS})
        assert got.status_code == 400
        assert graphql.documents.registered == {}
        # A caller with a key may send any document.
        keyed = await http.post("/graphql", json={"query": PRODUCTS}, headers=bearer(ADMIN_KEY))
        assert keyed.status_code == 200
        assert keyed.json()["data"]["products"]["nodes"]


async def test_registration_is_bounded_and_checked_by_the_limits(seeded_url: str) -> None:
    async with serving(seeded_url, persisted_queries_max=2, max_query_depth=3) as (
        http,
        graphql,
    ):
        queries = [f"query Q{n} {{ products {{ totalCount }} }}" for n in range(3)]
        for query in queries:
            await http.post("/graphql", json={"query": query, "extensions": persisted(sha(query))})
        assert list(graphql.documents.registered) == [sha(q) for q in queries[1:]]
        forgotten = await http.post("/graphql", json={"extensions": persisted(sha(queries[0]))})
        assert forgotten.json() == NOT_FOUND

        deep = "{ products { nodes { plans { nodes { product { key } } } } } }"
        refused = await http.post(
            "/graphql", json={"query": deep, "extensions": persisted(sha(deep))}
        )
        assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
        invalid = "{ noSuchField }"
        await http.post("/graphql", json={"query": invalid, "extensions": persisted(sha(invalid))})
        huge = "# " + "x" * MAX_REGISTERED_BYTES + "\n{ products { totalCount } }"
        await http.post("/graphql", json={"query": huge, "extensions": persisted(sha(huge))})
        assert list(graphql.documents.registered) == [sha(q) for q in queries[1:]]

    async with serving(seeded_url, persisted_queries_max=0) as (http, graphql):
        response = await http.post("/graphql", json={"extensions": persisted(sha(PRODUCTS))})
        assert response.json() == {
            "errors": [
                {
                    "message": "PersistedQueryNotSupported",
                    "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
                }
            ]
        }
