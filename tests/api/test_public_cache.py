"""The public read cache (docs/caching.md): anonymous queries answered from kept bytes, keyed
by the catalog version the database holds; ETag, 304 and Cache-Control; never for callers
with a key. In process (httpx over ASGI) on a seeded demo database of each backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from tests.support.graphql import StatementCounter

from pricing_graph.app import PricingGraphQL, create_app
from pricing_graph.demo.seed import seed_demo
from pricing_graph.settings import Settings

ADMIN_KEY = "public-cache-test-admin-key"
SALES_KEY = "public-cache-test-sales-key"
PRICING_PAGE = (
    Path(__file__).parents[2] / "frontend-contract" / "pricing-page" / "PricingPage.graphql"
).read_text()
PUBLIC = "public, max-age=30, stale-while-revalidate=60"


class VersionReads:
    """The catalog-version reads (`CatalogVersions.reads`) made while active."""

    def __init__(self, graphql: PricingGraphQL) -> None:
        self.versions = graphql.versions
        self.before = self.versions.reads
        self.after: int | None = None

    @property
    def count(self) -> int:
        now = self.versions.reads if self.after is None else self.after
        return now - self.before


class Statements:
    """The statements a request sends: `run` through the request engine (the operation),
    `version` the catalog-version reads."""

    def __init__(self, run: StatementCounter, version: VersionReads) -> None:
        self.run = run
        self.version = version

    @property
    def count(self) -> int:
        return self.run.count + self.version.count


@contextmanager
def statements(graphql: PricingGraphQL) -> Iterator[Statements]:
    version = VersionReads(graphql)
    with StatementCounter(graphql.database) as run:
        yield Statements(run, version)
    version.after = graphql.versions.reads


@pytest.fixture(scope="module")
def seeded_url(module_database_url: str) -> str:
    asyncio.run(seed_demo(module_database_url))
    return module_database_url


def graphql_app(app: Starlette) -> PricingGraphQL:
    for route in app.routes:
        endpoint = getattr(route, "endpoint", None)
        if isinstance(endpoint, PricingGraphQL):
            return endpoint
    raise AssertionError("no GraphQL route")


@asynccontextmanager
async def serving(
    url: str, **changes: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, PricingGraphQL]]:
    settings = Settings(
        database_url=url,
        api_keys={ADMIN_KEY: frozenset({"admin"}), SALES_KEY: frozenset({"sales"})},
        rate_limit_per_second=0,
        **changes,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield http, graphql_app(app)


def page(product: str = "ai-api", locale: str = "en_US") -> dict[str, Any]:
    return {"query": PRICING_PAGE, "variables": {"productKey": product, "locale": locale}}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def product_id(http: httpx.AsyncClient, key: str) -> str:
    response = await http.post(
        "/graphql",
        json={"query": "query($k: String!) { product(key: $k) { id } }", "variables": {"k": key}},
        headers=bearer(ADMIN_KEY),
    )
    return str(response.json()["data"]["product"]["id"])


async def rename(http: httpx.AsyncClient, key: str, name: str) -> None:
    response = await http.post(
        "/graphql",
        json={
            "query": "mutation($i: UpdateProductInput!) { updateProduct(input: $i) "
            "{ product { name } errors { code } } }",
            "variables": {"i": {"id": await product_id(http, key), "name": name}},
        },
        headers=bearer(ADMIN_KEY),
    )
    assert response.json()["data"]["updateProduct"] == {"product": {"name": name}, "errors": []}


async def test_a_second_identical_anonymous_read_is_a_hit_costing_one_statement(
    seeded_url: str,
) -> None:
    async with serving(seeded_url) as (http, graphql):
        first = await http.post("/graphql", json=page())
        assert first.status_code == 200
        assert first.json()["data"]["product"]["key"] == "ai-api"
        with statements(graphql) as counter:
            second = await http.post("/graphql", json=page())
        assert counter.version.count == 1  # exactly one read, for the version
        assert counter.run.count == 0  # no execution
        assert second.content == first.content
        assert graphql.cache.hits == 1
        assert second.headers["etag"] == first.headers["etag"]
        assert second.headers["cache-control"] == first.headers["cache-control"] == PUBLIC
        assert "Authorization" in second.headers["vary"].split(", ")
        assert second.headers["content-type"] == "application/json"


async def test_other_variables_are_another_answer(seeded_url: str) -> None:
    async with serving(seeded_url) as (http, graphql):
        english = await http.post("/graphql", json=page("llm-platform"))
        german = await http.post("/graphql", json=page("llm-platform", "de_DE"))
        assert english.headers["etag"] != german.headers["etag"]
        assert english.content != german.content
        assert graphql.cache.hits == 0
        assert len(graphql.cache) == 2


async def test_a_catalog_write_changes_the_version_and_the_next_read_is_fresh(
    seeded_url: str,
) -> None:
    async with serving(seeded_url) as (http, graphql):
        before = await http.post("/graphql", json=page("cloud-database"))
        name = before.json()["data"]["product"]["name"]
        try:
            await rename(http, "cloud-database", "Cloud Database (renamed)")
            with statements(graphql) as counter:
                after = await http.post("/graphql", json=page("cloud-database"))
            assert after.json()["data"]["product"]["name"] == "Cloud Database (renamed)"
            assert counter.version.count == 1
            assert counter.run.count > 0  # a miss: the operation ran
            assert after.headers["etag"] != before.headers["etag"]
            # The old tag no longer matches: the client gets the new answer, not a 304.
            again = await http.post(
                "/graphql",
                json=page("cloud-database"),
                headers={"If-None-Match": before.headers["etag"]},
            )
            assert again.status_code == 200
            assert again.content == after.content
        finally:
            await rename(http, "cloud-database", name)


async def test_another_process_sees_the_write_at_once(seeded_url: str) -> None:
    """Two applications (as two workers or hosts) on one database: a write through one
    changes the very next answer of the other, which had the old one cached."""
    async with serving(seeded_url) as (one, _), serving(seeded_url) as (other, cache):
        before = await other.post("/graphql", json=page("cloud-analytics"))
        assert (
            await other.post("/graphql", json=page("cloud-analytics"))
        ).content == before.content
        assert cache.cache.hits == 1
        name = before.json()["data"]["product"]["name"]
        try:
            await rename(one, "cloud-analytics", "Analytics, renamed elsewhere")
            after = await other.post("/graphql", json=page("cloud-analytics"))
            assert after.json()["data"]["product"]["name"] == "Analytics, renamed elsewhere"
        finally:
            await rename(one, "cloud-analytics", name)


async def test_if_none_match_gets_304_with_the_tag_and_cache_control(seeded_url: str) -> None:
    async with serving(seeded_url) as (http, graphql):
        first = await http.post("/graphql", json=page())
        etag = first.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"')
        for tags in (etag, f'"other", W/{etag}'):
            with statements(graphql) as counter:
                response = await http.post("/graphql", json=page(), headers={"If-None-Match": tags})
            assert response.status_code == 304
            assert response.content == b""
            assert response.headers["etag"] == etag
            assert response.headers["cache-control"] == PUBLIC
            assert (counter.version.count, counter.run.count) == (1, 0)
        # Also from a process that never answered it (the tag is derived from the key).
        async with serving(seeded_url) as (fresh, _):
            response = await fresh.post("/graphql", json=page(), headers={"If-None-Match": etag})
            assert response.status_code == 304
            other = await fresh.post(
                "/graphql", json=page("ai-api", "de_DE"), headers={"If-None-Match": etag}
            )
            assert other.status_code == 200


async def test_settings_name_the_cache_control_figures(seeded_url: str) -> None:
    async with serving(
        seeded_url, public_max_age_seconds=5, public_stale_while_revalidate_seconds=120
    ) as (http, _):
        response = await http.post("/graphql", json=page())
        assert response.headers["cache-control"] == "public, max-age=5, stale-while-revalidate=120"


@pytest.mark.parametrize("key", [ADMIN_KEY, SALES_KEY])
async def test_callers_with_a_key_are_never_served_from_the_cache(
    seeded_url: str, key: str
) -> None:
    async with serving(seeded_url) as (http, graphql):
        public = await http.post("/graphql", json=page("cloud-database"))
        assert public.status_code == 200
        kept = len(graphql.cache)
        for _ in range(2):
            with statements(graphql) as counter:
                response = await http.post(
                    "/graphql",
                    json=page("cloud-database"),
                    headers={**bearer(key), "If-None-Match": public.headers["etag"]},
                )
            assert response.status_code == 200
            assert response.headers["cache-control"] == "private, no-store"
            assert "etag" not in response.headers
            assert counter.version.count == 0  # no version read for them
            # It ran (no hit: below), on rows kept per catalog version: no statement.
            assert counter.run.count == 0
        assert graphql.cache.hits == 0
        assert len(graphql.cache) == kept
        # The demo's PRIVATE plan variant is theirs to see, not the public's.
        private = await http.post(
            "/graphql",
            json={"query": "{ plans(first: 100) { totalCount } }"},
            headers=bearer(key),
        )
        anonymous = await http.post(
            "/graphql", json={"query": "{ plans(first: 100) { totalCount } }"}
        )
        assert (
            private.json()["data"]["plans"]["totalCount"]
            > anonymous.json()["data"]["plans"]["totalCount"]
        )


async def test_an_unknown_key_is_refused_not_served(seeded_url: str) -> None:
    async with serving(seeded_url) as (http, graphql):
        await http.post("/graphql", json=page())
        response = await http.post("/graphql", json=page(), headers=bearer("not-a-key"))
        assert response.status_code == 401
        assert response.headers["cache-control"] == "private, no-store"
        assert graphql.cache.hits == 0


async def test_answers_with_errors_and_mutations_are_not_kept(seeded_url: str) -> None:
    async with serving(seeded_url) as (http, graphql):
        wrong = {"query": "{ products { nodes { key } } customers { totalCount } }"}
        for _ in range(2):
            response = await http.post("/graphql", json=wrong)
            assert response.json()["errors"]
            assert response.headers["cache-control"] == "no-store"
            assert "etag" not in response.headers
        invalid = await http.post("/graphql", json={"query": "{ noSuchField }"})
        assert invalid.status_code == 200 or invalid.status_code == 400
        assert invalid.headers["cache-control"] == "no-store"
        mutation = {
            "query": 'mutation { createMetric(input: {key: "m", name: "M", unitLabel: "u", '
            "aggregation: SUM}) { errors { code } } }"
        }
        for _ in range(2):
            response = await http.post("/graphql", json=mutation)
            assert response.headers["cache-control"] == "no-store"
        assert len(graphql.cache) == 0
        assert graphql.cache.hits == 0


async def test_get_requests_share_the_answer_and_its_tag(seeded_url: str) -> None:
    async with serving(seeded_url) as (http, graphql):
        posted = await http.post("/graphql", json=page())
        got = await http.get(
            "/graphql",
            params={
                "query": PRICING_PAGE,
                "variables": '{"productKey": "ai-api", "locale": "en_US"}',
            },
        )
        assert got.status_code == 200
        assert got.content == posted.content
        assert got.headers["etag"] == posted.headers["etag"]
        assert graphql.cache.hits == 1


async def test_the_cache_is_bounded(seeded_url: str) -> None:
    async with serving(seeded_url, public_cache_entries=2) as (http, graphql):
        for locale in ("en_US", "de_DE", "fr_FR", "ja_JP"):
            assert (await http.post("/graphql", json=page(locale=locale))).status_code == 200
        assert len(graphql.cache) == 2
    async with serving(seeded_url, public_cache_entries=0) as (http, graphql):
        for _ in range(2):
            response = await http.post("/graphql", json=page())
            assert response.headers["cache-control"] == "no-store"
        assert len(graphql.cache) == 0


def test_the_settings_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "PRICING_GRAPH_PUBLIC_CACHE_ENTRIES": "50",
            "PRICING_GRAPH_PUBLIC_CACHE_MAX_BYTES": "1048576",
            "PRICING_GRAPH_PUBLIC_MAX_AGE_SECONDS": "10",
            "PRICING_GRAPH_PUBLIC_STALE_WHILE_REVALIDATE_SECONDS": "20",
            "PRICING_GRAPH_PERSISTED_QUERIES_MAX": "7",
            "PRICING_GRAPH_TRUSTED_DOCUMENTS_DIR": "/tmp/docs",
            "PRICING_GRAPH_TRUSTED_DOCUMENTS_ONLY": "true",
        }
    )
    assert (
        settings.public_cache_entries,
        settings.public_cache_max_bytes,
        settings.public_max_age_seconds,
        settings.public_stale_while_revalidate_seconds,
        settings.persisted_queries_max,
        settings.trusted_documents_dir,
        settings.trusted_documents_only,
    ) == (50, 1048576, 10, 20, 7, "/tmp/docs", True)
    defaults = Settings.from_env({})
    assert (defaults.public_cache_entries, defaults.public_max_age_seconds) == (1000, 30)
    assert defaults.public_stale_while_revalidate_seconds == 60
    assert defaults.trusted_documents_only is False


# --- every catalog write bumps the version, in its transaction ----------------------------


async def test_every_catalog_write_bumps_the_version_once_and_a_refused_one_does_not(
    database: Any,
) -> None:
    from tests.api.test_catalog_mutations import (
        CREATE_PLAN,
        CREATE_PRODUCT,
        PLAN_ACTION,
        PLAN_PAYLOAD,
        UPDATE_PLAN,
        plan_input,
        seed,
    )
    from tests.support.graphql import execute

    from pricing_graph.store.catalog_version import current_catalog_version

    async def version() -> int:
        return await current_catalog_version(database.engine)

    start = await version()
    product_id = await seed(database)  # createProduct, createMetric x2
    assert await version() == start + 3

    async def write(document: str, **variables: Any) -> dict[str, Any]:
        before = await version()
        data = await execute(database, document, **variables)
        (payload,) = data.values()
        assert payload["errors"] == [], payload
        assert await version() == before + 1, document
        return dict(payload)

    product = "mutation($i: UpdateProductInput!) { updateProduct(input: $i) { errors { code } } }"
    await write(product, i={"id": product_id, "name": "Renamed"})
    plan = (await write(CREATE_PLAN, input=plan_input(product_id)))["plan"]["id"]
    await write(UPDATE_PLAN, input={"id": plan, "name": "Pro, renamed"})
    await write(PLAN_ACTION.format(name="publishPlan", payload=PLAN_PAYLOAD), id=plan)
    await write(PLAN_ACTION.format(name="createPlanVersion", payload=PLAN_PAYLOAD), id=plan)
    await write(PLAN_ACTION.format(name="archivePlan", payload=PLAN_PAYLOAD), id=plan)
    archive = "mutation($id: ID!) { archiveProduct(input: {id: $id}) { errors { code } } }"
    await write(archive, id=product_id)

    before = await version()
    data = await execute(database, CREATE_PRODUCT, input={"key": "llm", "name": "Again"})
    assert data["createProduct"]["errors"][0]["code"] == "DUPLICATE_KEY"
    assert await version() == before  # refused: nothing written, nothing bumped


# --- the pieces -----------------------------------------------------------------------------


def test_the_key_names_everything_an_answer_depends_on() -> None:
    from pricing_graph.http.public_cache import cache_key

    base = cache_key("d" * 64, "PricingPage", {"b": 1, "a": 2}, 7, "2026-11-27")
    assert base == cache_key("d" * 64, "PricingPage", {"a": 2, "b": 1}, 7, "2026-11-27")
    assert base.etag == f'"7-{base.digest[:32]}"'
    others = [
        cache_key("e" * 64, "PricingPage", {"b": 1, "a": 2}, 7, "2026-11-27"),
        cache_key("d" * 64, None, {"b": 1, "a": 2}, 7, "2026-11-27"),
        cache_key("d" * 64, "PricingPage", {"b": 1, "a": 3}, 7, "2026-11-27"),
        cache_key("d" * 64, "PricingPage", {"b": 1, "a": 2}, 8, "2026-11-27"),
        cache_key("d" * 64, "PricingPage", {"b": 1, "a": 2}, 7, "2026-11-28"),
    ]
    assert len({key.digest for key in [base, *others]}) == 6


def test_if_none_match_compares_weakly_and_refuses_a_star() -> None:
    from pricing_graph.http.public_cache import etag_matches

    assert etag_matches('"1-ab"', '"1-ab"')
    assert etag_matches('W/"1-ab"', '"1-ab"')
    assert etag_matches('"x", "1-ab"', '"1-ab"')
    assert not etag_matches('"1-ac"', '"1-ab"')
    assert not etag_matches("*", '"1-ab"')
    assert not etag_matches(None, '"1-ab"')


def test_the_lru_keeps_within_its_entries_and_bytes() -> None:
    from pricing_graph.http.public_cache import ENTRY_OVERHEAD_BYTES, PublicCache

    cache = PublicCache(max_entries=10, max_bytes=3 * (ENTRY_OVERHEAD_BYTES + 1 + 100))
    for name in "abcd":
        cache.put(name, b"x" * 100)
    assert len(cache) == 3 and cache.get("a") is None
    assert cache.get("b") == b"x" * 100  # now the most recent
    cache.put("e", b"y" * 100)
    assert cache.get("c") is None and cache.get("b") is not None
    cache.put("huge", b"z" * cache.max_bytes)
    assert cache.get("huge") is None and len(cache) == 3
    assert cache.bytes <= cache.max_bytes


async def test_a_missing_version_row_is_made_again_by_the_next_write(database: Any) -> None:
    from sqlalchemy import text

    from pricing_graph.store.catalog_version import bump_catalog_version, current_catalog_version

    assert await current_catalog_version(database.engine) == 1  # the migration's row
    async with database.engine.begin() as connection:
        await connection.execute(text("DELETE FROM catalog_version"))
    assert await current_catalog_version(database.engine) == 0
    async with database.sessions() as session, session.begin():
        await bump_catalog_version(session)
    assert await current_catalog_version(database.engine) == 2


async def test_the_version_reader_sees_another_engines_commit_at_once(database: Any) -> None:
    from pricing_graph.store.catalog_version import bump_catalog_version
    from pricing_graph.store.version_reads import CatalogVersions

    versions = CatalogVersions(database.engine)
    expected = {"sqlite": "sqlite-file", "postgresql": "postgresql"}
    assert versions.kind == expected[database.engine.dialect.name]
    assert await versions.current() == 1
    async with database.sessions() as session, session.begin():
        await bump_catalog_version(session)
        assert await versions.current() == 1  # not committed yet
    assert await versions.current() == 2
    assert versions.reads == 3
    versions.close()


async def test_a_postgres_version_reader_whose_connection_dies_fails_once_then_reconnects(
    pg_database_url: str,
) -> None:
    from sqlalchemy import text

    from pricing_graph.store import version_reads
    from pricing_graph.store.engine import make_engine

    engine = make_engine(pg_database_url)
    versions = version_reads.CatalogVersions(engine)
    try:
        assert await versions.current() == 1
        async with engine.begin() as connection:
            killed = await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            assert True in killed.scalars().all()
        # asyncpg's error depends on when it read the server's goodbye: any but the pause's
        with pytest.raises(Exception) as failed:
            await versions.current()
        assert not isinstance(failed.value, version_reads.VersionReadPaused), failed.value
        # at once, not queued behind a server that does not answer
        with pytest.raises(version_reads.VersionReadPaused):
            await versions.current()
        await asyncio.sleep(version_reads.POSTGRES_RETRY_AFTER_S + 0.1)
        assert await versions.current() == 1
        assert versions.reads == 4
    finally:
        await engine.dispose()


def test_the_sqlite_reader_never_creates_a_database_file(tmp_path: Path) -> None:
    import sqlite3

    from sqlalchemy.ext.asyncio import create_async_engine

    from pricing_graph.store.version_reads import CatalogVersions

    path = tmp_path / "absent.db"
    versions = CatalogVersions(create_async_engine(f"sqlite+aiosqlite:///{path}"))
    with pytest.raises(sqlite3.OperationalError):
        asyncio.run(versions.current())
    assert not path.exists()
    sqlite3.connect(path).close()  # there, but not migrated: no table
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        asyncio.run(versions.current())


async def test_an_anonymous_miss_reads_the_catalog_version_once(seeded_url: str) -> None:
    """The version the cache keys the answer by is the one the operation's catalog reads
    use (store/catalog_snapshot.py): not read a second time."""
    async with serving(seeded_url) as (http, graphql):
        with statements(graphql) as counter:
            response = await http.post("/graphql", json=page("cloud-database", "fr_FR"))
        assert response.status_code == 200
        assert counter.version.count == 1
        assert graphql.cache.hits == 0
        assert graphql.database.catalog.versions is None  # the snapshot never read one
        await http.post("/graphql", json=page("cloud-database"), headers=bearer(ADMIN_KEY))
        versions = graphql.database.catalog.versions
        assert versions is not None and versions.reads == 1  # a caller with a key: its own
