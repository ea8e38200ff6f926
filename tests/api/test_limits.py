"""The limits every request meets before it costs anything, and the production settings.

Each limit: its setting is read from the environment, a request over it is refused with the
documented status and `extensions.code`/`field`, and a request within it goes through. The
application runs in process (httpx over ASGI) on a seeded demo database of each backend.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from sqlalchemy import text

from pricing_graph.api.limits import (
    LimitError,
    QueryLimits,
    document_refusal,
    estimate_cost,
    typed,
)
from pricing_graph.api.schema import schema
from pricing_graph.app import create_app
from pricing_graph.demo.seed import seed_demo
from pricing_graph.http.guards import TokenBuckets, graphiql_csp
from pricing_graph.services.actor import Role
from pricing_graph.settings import Settings, SettingsError
from pricing_graph.store.engine import is_statement_timeout, make_engine

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "frontend-contract"
ADMIN_KEY = "limits-test-admin-key"

# Each limit: the Settings field, its variable, its default, and a value to read back.
LIMIT_SETTINGS = [
    ("graphql_max_body_bytes", "PRICING_GRAPH_GRAPHQL_MAX_BODY_BYTES", 1024 * 1024, "2048"),
    ("ingest_max_body_bytes", "PRICING_GRAPH_INGEST_MAX_BODY_BYTES", 8 * 1024 * 1024, "4096"),
    ("max_query_depth", "PRICING_GRAPH_MAX_QUERY_DEPTH", 12, "7"),
    ("max_aliases", "PRICING_GRAPH_MAX_ALIASES", 30, "5"),
    ("max_tokens", "PRICING_GRAPH_MAX_TOKENS", 5000, "800"),
    ("max_query_cost", "PRICING_GRAPH_MAX_QUERY_COST", 100_000, "900"),
    ("request_time_limit_seconds", "PRICING_GRAPH_REQUEST_TIME_LIMIT_SECONDS", 10.0, "2.5"),
    ("statement_timeout_ms", "PRICING_GRAPH_STATEMENT_TIMEOUT_MS", 5000, "750"),
    ("rate_limit_per_second", "PRICING_GRAPH_RATE_LIMIT_PER_SECOND", 20.0, "3.5"),
    ("rate_limit_burst", "PRICING_GRAPH_RATE_LIMIT_BURST", 100, "9"),
]


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "variable", "default", "given"), LIMIT_SETTINGS)
def test_every_limit_has_a_setting_a_default_and_docs(
    name: str, variable: str, default: float, given: str
) -> None:
    assert getattr(Settings(), name) == default
    assert getattr(Settings.from_env({}), name) == default
    assert getattr(Settings.from_env({variable: given}), name) == float(given)
    docs = (ROOT / "docs" / "security.md").read_text()
    assert variable in docs, f"docs/security.md does not describe {variable}"


def test_production_and_cors_settings() -> None:
    settings = Settings.from_env(
        {
            "PRICING_GRAPH_ENV": "Production",
            "PRICING_GRAPH_CORS_ORIGINS": "https://app.example.com, http://localhost:5173/",
        }
    )
    assert settings.production
    assert settings.cors_origins == ("https://app.example.com", "http://localhost:5173")
    assert not Settings.from_env({}).production
    assert Settings.from_env({}).cors_origins == ()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PRICING_GRAPH_MAX_QUERY_DEPTH", "abc"),
        ("PRICING_GRAPH_MAX_QUERY_DEPTH", "0"),
        ("PRICING_GRAPH_MAX_TOKENS", "-5"),
        ("PRICING_GRAPH_GRAPHQL_MAX_BODY_BYTES", "1.5"),
        ("PRICING_GRAPH_PORT", "70000"),
        ("PRICING_GRAPH_RATE_LIMIT_PER_SECOND", "-1"),
        ("PRICING_GRAPH_RATE_LIMIT_PER_SECOND", "nan"),
        ("PRICING_GRAPH_REQUEST_TIME_LIMIT_SECONDS", "0"),
        ("PRICING_GRAPH_REQUEST_TIME_LIMIT_SECONDS", "soon"),
        ("PRICING_GRAPH_ENV", "staging"),
        ("PRICING_GRAPH_CORS_ORIGINS", "https://app.example.com/path"),
        ("PRICING_GRAPH_CORS_ORIGINS", "ftp://files.example.com"),
        ("PRICING_GRAPH_LOG_LEVEL", "loud"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({variable: value})
    assert variable in str(refused.value)
    assert repr(value.strip()) in str(refused.value)


def test_the_cli_reports_a_bad_setting_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PRICING_GRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        "PRICING_GRAPH_MAX_ALIASES": "many",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pricing_graph.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "pricing-graph: PRICING_GRAPH_MAX_ALIASES must be a whole number of at least 0, got 'many'"
    )
    assert "Traceback" not in done.stderr


# --- every document the consumers send is within the limits --------------------------------


def _contract_cases() -> list[tuple[str, Path, dict[str, Any]]]:
    cases = []
    for document in sorted(CONTRACT.rglob("*.graphql")):
        variables = [
            json.loads(case.read_text()).get("variables") or {}
            for case in sorted((document.parent / "expected").glob(f"{document.stem}.*.json"))
        ]
        for index, given in enumerate(variables or [{}]):
            cases.append((f"{document.stem}-{index}", document, given))
    return cases


@pytest.mark.parametrize(("name", "document", "variables"), _contract_cases())
def test_the_frontend_contract_is_well_within_the_default_limits(
    name: str, document: Path, variables: dict[str, Any]
) -> None:
    parsed = graphql.parse(document.read_text(), max_tokens=Settings().max_tokens)
    limits = QueryLimits.of(Settings(), Role.ANONYMOUS)
    assert document_refusal(schema._schema, parsed, limits) is None
    cost = estimate_cost(schema._schema, parsed, None, variables)
    assert cost.total <= Settings().max_query_cost // 10, cost


@pytest.mark.parametrize(
    ("document", "total", "field"),
    [
        # periods 0..9 walked: periodIndex + count, each PERIOD_WEIGHT (10), 1 for the root
        ('{ contract(id: "x") { issuedInvoices(periodIndex: 4, count: 6) { total } } }', 101,
         "periodIndex"),
        ('{ contract(id: "x") { issuedInvoices(count: 6) { total } } }', 61, "count"),
        # a change preview: 2 x (1,200 + 2) periods, one unit each, whatever its date
        ('{ previewContractChange(input: {contractId: "x", planId: "y", '
         'effectiveDate: "2026-04-10"}) { difference } }', 2405, "input.effectiveDate"),
        # a promotion code's `periods` is its duration: nothing priced, 1 for the root
        ('mutation { createPromotionCode(input: {code: "C", kind: PERCENT, value: "10", '
         'duration: PERIODS, periods: 1200}) { errors { code } } }', 1, None),
    ],
)  # fmt: skip
def test_period_walks_are_costed_by_what_they_walk(document: str, total: int, field: Any) -> None:
    cost = estimate_cost(schema._schema, graphql.parse(document), None, {})
    assert (cost.total, cost.field) == (total, field)


# --- the application, per backend -----------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_url(module_database_url: str) -> str:
    asyncio.run(seed_demo(module_database_url))
    return module_database_url


@asynccontextmanager
async def serving(url: str, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=url, api_keys={ADMIN_KEY: frozenset({"admin"})}, **changes)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield http


async def _post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **kw: Any
) -> tuple[int, dict[str, Any], float]:
    started = time.perf_counter()
    response = await http.post("/graphql", json={"query": query, "variables": variables}, **kw)
    elapsed = time.perf_counter() - started
    return response.status_code, response.json(), elapsed


def _refusal(body: dict[str, Any]) -> tuple[str, str | None]:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    return error["extensions"]["code"], error["extensions"]["field"]


def _nested(levels: int) -> str:
    """products > nodes > plans > nodes > product > plans > ...: `levels` objects deep."""
    path = ["products(first: 2)", "nodes"] + ["plans(first: 2)", "nodes", "product"] * 5
    fields = path[:levels]
    leaf = "totalCount" if fields[-1].startswith(("products", "plans")) else "key"
    return "{ " + " { ".join(fields) + " { " + leaf + " }" + " }" * (len(fields) - 1) + " }"


async def test_query_depth(seeded_url: str) -> None:
    async with serving(seeded_url, max_query_depth=4) as http:
        status, body, _ = await _post(http, _nested(4))
        assert status == 200 and "errors" not in body, body
        status, body, _ = await _post(http, _nested(5))
        assert (status, _refusal(body)) == (400, ("QUERY_TOO_DEEP", None))
    async with serving(seeded_url) as http:
        status, body, _ = await _post(http, _nested(12))
        assert status == 200 and "errors" not in body, body
        status, body, _ = await _post(http, _nested(13))
        assert (status, _refusal(body)) == (400, ("QUERY_TOO_DEEP", None))
        assert "more than 12 levels deep" in body["errors"][0]["message"]


def _aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: metrics(first: 1) {{ totalCount }}" for i in range(count)) + " }"


async def test_aliases(seeded_url: str) -> None:
    async with serving(seeded_url) as http:
        status, body, _ = await _post(http, _aliases(30))
        assert status == 200 and "errors" not in body, body
        status, body, _ = await _post(http, _aliases(31))
        assert (status, _refusal(body)) == (400, ("TOO_MANY_ALIASES", None))
        assert (
            body["errors"][0]["message"] == "the document uses 31 aliases; at most 30 are allowed"
        )


def _dimensions(count: int) -> str:
    """An estimateCost query of 21 + 8 * count tokens."""
    pairs = ", ".join('{name: "model", value: "m"}' for _ in range(count))
    return (
        '{ estimateCost(contractId: "Q29udHJhY3Q6MQ==", metricKey: "m", quantity: "1", '
        f"dimensions: [{pairs}]) {{ __typename }} }}"
    )


async def test_tokens(seeded_url: str) -> None:
    async with serving(seeded_url) as http:
        status, body, _ = await _post(http, _dimensions(622))  # 4,997 tokens
        assert status == 200 and "TOO_MANY_TOKENS" not in json.dumps(body), str(body)[:300]
        status, body, elapsed = await _post(http, _dimensions(623))  # 5,005
        assert (status, _refusal(body)) == (400, ("TOO_MANY_TOKENS", "query"))
        assert elapsed < 1


COMPARE_PLANS = """
query($periods: Int!) {
  comparePlans(productId: "UHJvZHVjdDox", usage: [], periods: $periods) {
    plans { total } errors { code }
  }
}
"""

QUOTE = "query($input: QuoteInput!) { quote(input: $input) { quote { total } errors { code } } }"

CYCLE = """
{ customers { nodes { contracts { nodes { customer { contracts { nodes {
  customer { contracts { nodes { id } } } } } } } } } } }
"""


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (COMPARE_PLANS, {"periods": 2147483647}, "periods"),
        (
            QUOTE,
            {
                "input": {
                    "planId": "UGxhbjox",
                    "startDate": "2026-01-01",
                    "periods": 2147483647,
                    "usage": [],
                }
            },
            "input.periods",
        ),
        (
            '{ contract(id: "Q29udHJhY3Q6MQ==") { invoicePreview(periodIndex: 95000) { total } } }',
            None,
            "periodIndex",
        ),
        (
            '{ contract(id: "Q29udHJhY3Q6MQ==") { '
            "upcomingInvoices(count: 2147483647) { total } } }",
            None,
            "count",
        ),
        (CYCLE, None, "first"),
        (
            "{ "
            + " ".join(
                f'q{i}: quote(input: {{planId: "UGxhbjox", startDate: "2026-01-01", '
                f"periods: 120, usage: []}}) {{ quote {{ total }} }}"
                for i in range(30)
            )
            + " }",
            None,
            "input.periods",
        ),
    ],
    ids=["comparePlans-periods", "quote-periods", "periodIndex", "count", "cycle", "aliases"],
)
async def test_a_costly_operation_is_refused_before_it_runs(
    seeded_url: str, query: str, variables: dict[str, Any] | None, field: str
) -> None:
    # 30 aliases of quote(periods: 120) cost 36,030: over a budget of 30,000.
    async with serving(seeded_url, max_query_cost=30_000) as http:
        status, body, elapsed = await _post(http, query, variables)
    assert (status, _refusal(body)) == (400, ("QUERY_TOO_COSTLY", field))
    assert "at most 30000 are allowed" in body["errors"][0]["message"]
    assert elapsed < 1


async def test_the_cost_budget_is_the_setting(seeded_url: str) -> None:
    query = (CONTRACT / "pricing-page" / "PricingPage.graphql").read_text()
    variables = {"productKey": "llm-platform"}
    async with serving(seeded_url, max_query_cost=10) as http:
        status, body, _ = await _post(http, query, variables)
        assert (status, _refusal(body)) == (400, ("QUERY_TOO_COSTLY", "first"))
    async with serving(seeded_url) as http:
        status, body, _ = await _post(http, query, variables)
        assert status == 200 and body["data"]["product"], body


FRAGMENT_BOMB = (
    "query { ...F0 } "
    + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    + " fragment F40 on Query { products { totalCount } }"
)
REPEATED = "{ " + "products { nodes { key name plans { nodes { key } } } } " * 60 + "}"


@pytest.mark.parametrize("query", [FRAGMENT_BOMB, REPEATED], ids=["fragment-bomb", "repeated"])
async def test_documents_that_expand_or_repeat_are_refused_before_validation(
    seeded_url: str, query: str
) -> None:
    async with serving(seeded_url) as http:
        status, body, elapsed = await _post(http, query)
    assert (status, _refusal(body)) == (400, ("QUERY_TOO_COSTLY", None))
    assert elapsed < 1


async def test_the_time_limit(seeded_url: str) -> None:
    query = "{ products { totalCount nodes { key plans { nodes { key } } } } }"
    async with serving(seeded_url, request_time_limit_seconds=1e-6) as http:
        response = await http.post("/graphql", json={"query": query})
        assert response.status_code == 400
        assert _refusal(response.json()) == ("TIME_LIMIT_EXCEEDED", None)
        event = {
            "eventId": "late",
            "customerId": "nobody",
            "metricKey": "input_tokens",
            "timestamp": "2026-01-05T10:00:00Z",
            "value": "1",
        }
        response = await http.post(
            "/v1/usage/events",
            json={"events": [event]},
            headers={"authorization": f"Bearer {ADMIN_KEY}"},
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "TIME_LIMIT_EXCEEDED"
    async with serving(seeded_url) as http:  # the database is none the worse
        status, body, _ = await _post(http, query)
        assert status == 200 and body["data"]["products"]["totalCount"] > 0


@pytest.mark.postgres
async def test_postgresql_statement_timeout(pg_database_url: str) -> None:
    url = pg_database_url
    engine = make_engine(url, statement_timeout_ms=50)
    try:
        async with engine.connect() as connection:
            shown = (await connection.execute(text("SHOW statement_timeout"))).scalar()
            assert shown == "50ms"
            with pytest.raises(Exception) as cancelled:
                await connection.execute(text("SELECT pg_sleep(2)"))
    finally:
        await engine.dispose()
    assert is_statement_timeout(cancelled.value)
    error = typed(graphql.GraphQLError("boom", original_error=cancelled.value))
    assert isinstance(error, LimitError)
    assert error.extensions == {"code": "TIME_LIMIT_EXCEEDED", "field": None}
    assert not is_statement_timeout(ValueError("no"))


def test_the_app_sets_the_statement_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import pricing_graph.app as app_module

    made: list[dict[str, Any]] = []

    def spy(url: str, **options: Any) -> Any:
        made.append(options)
        return make_engine(url, **options)

    monkeypatch.setattr(app_module, "make_engine", spy)
    create_app(Settings(database_url="sqlite+aiosqlite://", statement_timeout_ms=1234))
    assert made == [{"statement_timeout_ms": 1234}]


# --- the rate limit -------------------------------------------------------------------------


def test_token_buckets_refill_and_forget() -> None:
    now = [0.0]
    buckets = TokenBuckets(2.0, 3, max_keys=2, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] += 0.5
    assert buckets.take("a") == 0
    assert buckets.take("b") == 0
    buckets.take("c")  # "a" is forgotten: a fresh bucket
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]


async def test_the_rate_limit_is_per_key_with_retry_after(seeded_url: str) -> None:
    query = {"query": "{ __typename }"}
    async with serving(seeded_url, rate_limit_per_second=0.5, rate_limit_burst=2) as http:
        assert [(await http.post("/graphql", json=query)).status_code for _ in range(2)] == [
            200,
            200,
        ]
        refused = await http.post("/graphql", json=query)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "2"
        assert _refusal(refused.json()) == ("RATE_LIMITED", None)
        # Another key has its own bucket; the health check is never counted.
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        assert (await http.post("/graphql", json=query, headers=admin)).status_code == 200
        assert (await http.get("/healthz")).status_code == 200
        bulk = await http.post("/v1/usage/events", json={"events": []})
        assert bulk.status_code == 429
        assert bulk.json()["errors"][0]["code"] == "RATE_LIMITED"
    async with serving(seeded_url, rate_limit_per_second=0) as http:  # 0: off
        statuses = {(await http.post("/graphql", json=query)).status_code for _ in range(150)}
        assert statuses == {200}


# --- request bodies -------------------------------------------------------------------------


async def test_body_size_caps(seeded_url: str) -> None:
    async with serving(seeded_url) as http:
        padding = " " * (1024 * 1024 - len('{"query": "{ __typename }"}'))
        at_limit = ('{"query": "{ __typename }"}' + padding).encode()
        assert len(at_limit) == 1024 * 1024
        response = await http.post(
            "/graphql", content=at_limit, headers={"content-type": "application/json"}
        )
        assert response.status_code == 200, response.text
        response = await http.post(
            "/graphql", content=at_limit + b" ", headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        assert _refusal(response.json()) == ("BODY_TOO_LARGE", "body")

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"events": ['
            for _ in range(9):
                yield b" " * (1024 * 1024)
            yield b"]}"

        response = await http.post(
            "/v1/usage/events", content=chunks(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        error = response.json()["errors"][0]
        assert (error["code"], error["field"], error["index"]) == ("BODY_TOO_LARGE", "body", None)
        assert "PRICING_GRAPH_INGEST_MAX_BODY_BYTES" in error["message"]
    async with serving(seeded_url, graphql_max_body_bytes=2048) as http:
        response = await http.post("/graphql", json={"query": "{ __typename }", "x": "y" * 2048})
        assert response.status_code == 413


# --- production -----------------------------------------------------------------------------

INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_production_turns_graphiql_and_introspection_off(seeded_url: str) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with serving(seeded_url, env="production") as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 404
        status, body, _ = await _post(http, INTROSPECTION)
        assert (status, _refusal(body)) == (403, ("FORBIDDEN", "__schema"))
        status, body, _ = await _post(http, '{ __type(name: "Query") { name } }')
        assert (status, _refusal(body)) == (403, ("FORBIDDEN", "__type"))
        status, body, _ = await _post(http, "{ __typename }")
        assert (status, body) == (200, {"data": {"__typename": "Query"}})
        status, body, _ = await _post(http, INTROSPECTION, headers=admin)
        assert (status, body) == (200, {"data": {"__schema": {"queryType": {"name": "Query"}}}})
    async with serving(seeded_url) as http:
        status, body, _ = await _post(http, INTROSPECTION)
        assert (status, body) == (200, {"data": {"__schema": {"queryType": {"name": "Query"}}}})


async def test_graphiql_is_served_with_security_headers(seeded_url: str) -> None:
    async with serving(seeded_url) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        health = await http.get("/healthz")
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    csp = page.headers["content-security-policy"]
    assert csp == graphiql_csp(page.text)
    (script,) = re.findall(r"<script>(.*?)</script>", page.text, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert health.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in health.headers


async def test_cors_allowlist(seeded_url: str) -> None:
    allowed, other = "https://app.example.com", "https://evil.example.com"
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    # a bucket of 2 that refills once in 100 s: the third POST is refused however slow the
    # machine is (at the default 20/s a loaded machine refilled it between requests)
    async with serving(
        seeded_url, cors_origins=(allowed,), rate_limit_burst=2, rate_limit_per_second=0.01
    ) as http:
        response = await http.options("/graphql", headers={"Origin": allowed, **preflight})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == allowed
        assert "authorization" in response.headers["access-control-allow-headers"].lower()
        response = await http.options("/graphql", headers={"Origin": other, **preflight})
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers
        query = {"query": "{ __typename }"}
        response = await http.post("/graphql", json=query, headers={"Origin": allowed})
        assert response.headers["access-control-allow-origin"] == allowed
        response = await http.post("/graphql", json=query, headers={"Origin": other})
        assert "access-control-allow-origin" not in response.headers
        refused = await http.post("/graphql", json=query, headers={"Origin": allowed})
        assert refused.status_code == 429  # refusals carry the CORS headers too
        assert refused.headers["access-control-allow-origin"] == allowed
        assert "retry-after" in refused.headers["access-control-expose-headers"].lower()
    async with serving(seeded_url) as http:  # no origins by default
        response = await http.options("/graphql", headers={"Origin": allowed, **preflight})
        assert response.status_code == 400
