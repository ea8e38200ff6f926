"""Operations: the JSON request log, /metrics (and who may read it), /readyz, tracing off by
default, the log settings; on SQLite and PostgreSQL where a database is involved."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import IN_CI

from pricing_graph.api.observe import operation_name
from pricing_graph.api.schema import schema
from pricing_graph.app import create_app
from pricing_graph.demo.seed import seed_demo
from pricing_graph.http.ops import (
    MAX_OPERATION_NAMES,
    JsonFormatter,
    Metrics,
    RequestRecord,
    TextFormatter,
    logging_config,
)
from pricing_graph.services import keys
from pricing_graph.services.unit_of_work import Database, UnitOfWork
from pricing_graph.settings import Settings, SettingsError
from pricing_graph.store.migrate import head_revision

LOG_KEYS = [
    "time", "level", "logger", "message", "request_id", "method", "path", "operation",
    "key_id", "role", "status", "duration_ms", "error_codes",
]  # fmt: skip


@pytest.fixture(scope="module")
def seeded_url(module_database_url: str) -> str:
    asyncio.run(seed_demo(module_database_url))
    return module_database_url


async def _key(url: str, role: str, partner: str | None = None) -> tuple[int, str]:
    database = Database.connect(Settings(database_url=url))
    uow = UnitOfWork(database)
    try:
        info, secret = await keys.create_key(uow, role, partner=partner, name=f"ops {role}")
    finally:
        await uow.close()
        await database.dispose()
    return info.id, secret


@pytest.fixture(scope="module")
def role_keys(seeded_url: str) -> dict[str, tuple[int, str]]:
    return {
        role: asyncio.run(_key(seeded_url, role, "acme-reseller" if role == "partner" else None))
        for role in ("admin", "sales", "partner")
    }


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the `pricing_graph` loggers write, as JSON lines."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("pricing_graph")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _lines(out: io.StringIO, logger: str | None = None) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in out.getvalue().splitlines()]
    return [line for line in found if logger is None or line["logger"] == logger]


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


# --- the request log -------------------------------------------------------------------------


async def test_one_json_line_per_request_with_the_request_id_echoed(
    seeded_url: str, role_keys: dict[str, tuple[int, str]], log_lines: io.StringIO
) -> None:
    key_id, secret = role_keys["admin"]
    document = 'mutation Make { createProduct(input: {key: "", name: ""}) { errors { code } } }'
    async with _client(Settings(database_url=seeded_url)) as client:
        response = await client.post(
            "/graphql",
            json={"query": document},
            headers={"Authorization": f"Bearer {secret}", "X-Request-ID": "req-42"},
        )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-42"
    [line] = _lines(log_lines, "pricing_graph.access")
    assert list(line) == LOG_KEYS
    assert isinstance(line.pop("duration_ms"), float)
    assert line.pop("time").endswith("Z")
    assert line == {
        "level": "INFO",
        "logger": "pricing_graph.access",
        "message": "request",
        "request_id": "req-42",
        "method": "POST",
        "path": "/graphql",
        "operation": "Make",
        "key_id": key_id,
        "role": "admin",
        "status": 200,
        "error_codes": ["INVALID_VALUE", "REQUIRED"],
    }


async def test_an_unusable_or_missing_request_id_is_replaced(
    seeded_url: str, log_lines: io.StringIO
) -> None:
    async with _client(Settings(database_url=seeded_url)) as client:
        given = await client.get("/healthz", headers={"X-Request-ID": "two words\x7f"})
        none = await client.get("/healthz")
    first, second = _lines(log_lines, "pricing_graph.access")
    for response, line in ((given, first), (none, second)):
        assert len(response.headers["X-Request-ID"]) == 32
        assert line["request_id"] == response.headers["X-Request-ID"]
        assert (line["path"], line["operation"], line["role"], line["status"]) == (
            "/healthz",
            None,
            "anonymous",
            200,
        )


async def test_an_unexpected_error_is_logged_with_the_request_id(
    empty_database_url: str, log_lines: io.StringIO
) -> None:
    """An unmigrated database: the resolver's exception is masked, logged, and the log line
    names the request."""
    async with _client(Settings(database_url=empty_database_url)) as client:
        response = await client.post(
            "/graphql",
            json={"query": "query Count { products { totalCount } }"},
            headers={"X-Request-ID": "broken-1"},
        )
    assert response.json()["errors"][0]["message"] == "Unexpected error."
    [error] = _lines(log_lines, "pricing_graph.api")
    assert (error["level"], error["message"], error["request_id"]) == (
        "ERROR",
        "unexpected error",
        "broken-1",
    )
    assert "Traceback" in error["exception"]
    [line] = _lines(log_lines, "pricing_graph.access")
    assert (line["request_id"], line["operation"], line["error_codes"]) == (
        "broken-1",
        "Count",
        ["UNEXPECTED_ERROR"],
    )


def test_serve_logs_json_lines_and_no_uvicorn_access_log(seeded_url: str) -> None:
    from tests.support.server import logged_server

    with logged_server(seeded_url, PRICING_GRAPH_LOG_LEVEL="info") as server:
        response = httpx.get(f"{server.base}/readyz", headers={"X-Request-ID": "live-1"})
        assert response.headers["X-Request-ID"] == "live-1"
        time.sleep(0.2)
        output = server.log()
    banner, logs = output.split("\n  metrics:", 1)
    assert banner.startswith("pricing-graph ")
    lines = [json.loads(line) for line in logs.splitlines()[1:] if line.strip()]
    assert {line["logger"] for line in lines} <= {"uvicorn.error", "pricing_graph.access"}
    [request] = [line for line in lines if line.get("request_id") == "live-1"]
    assert list(request) == LOG_KEYS
    assert (request["request_id"], request["path"], request["status"]) == ("live-1", "/readyz", 200)


def test_the_text_format() -> None:
    record = logging.LogRecord(
        "pricing_graph.access", logging.INFO, __file__, 1, "request", (), None
    )
    record.fields = {"request_id": "r1", "operation": None, "status": 200, "error_codes": []}
    line = TextFormatter().format(record)
    assert line.endswith(
        " INFO pricing_graph.access request request_id=r1 operation=- status=200 error_codes=-"
    )


def test_json_logs_mask_passwords() -> None:
    record = logging.LogRecord(
        "pricing_graph", logging.WARNING, __file__, 1,
        "cannot reach postgresql+asyncpg://app:hunter2@db:5432/prices", (), None,
    )  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "cannot reach postgresql+asyncpg://app:***@db:5432/prices"


def test_log_settings_and_uvicorn_logging() -> None:
    assert Settings.from_env({}).log_format == "json"
    assert Settings.from_env({"PRICING_GRAPH_LOG_FORMAT": "TEXT"}).log_format == "text"
    with pytest.raises(SettingsError, match="PRICING_GRAPH_LOG_FORMAT must be one of json, text"):
        Settings.from_env({"PRICING_GRAPH_LOG_FORMAT": "xml"})
    with pytest.raises(SettingsError, match="PRICING_GRAPH_METRICS_PUBLIC must be true or false"):
        Settings.from_env({"PRICING_GRAPH_METRICS_PUBLIC": "maybe"})
    config = logging_config(Settings(log_level="warning"))
    assert config["formatters"]["main"] == {"()": "pricing_graph.http.ops.JsonFormatter"}
    assert config["root"] == {"handlers": ["main"], "level": logging.WARNING}
    assert config["loggers"]["uvicorn.access"] == {
        "handlers": [],
        "level": logging.WARNING,
        "propagate": False,
    }
    text = logging_config(Settings(log_format="text"))
    assert text["formatters"]["main"] == {"()": "pricing_graph.http.ops.TextFormatter"}


def test_operation_names_as_strawberry_reads_them() -> None:
    assert operation_name("query Prices { plans { totalCount } }", None) == "Prices"
    assert operation_name("{ plans { totalCount } }", None) is None
    assert operation_name("fragment F on Plan { id } mutation Go { x }", None) == "Go"
    assert operation_name("query A { a } query B { b }", "B") == "B"
    assert operation_name('query "broken', None) is None


# --- metrics ---------------------------------------------------------------------------------


def _event(event_id: str, customer: str, value: str = "10") -> dict[str, str]:
    return {
        "eventId": event_id,
        "customerId": customer,
        "metricKey": "input_tokens",
        "timestamp": "2026-01-05T10:00:00Z",
        "value": value,
    }


async def test_metrics_count_operations_errors_usage_and_the_pool(
    seeded_url: str, role_keys: dict[str, tuple[int, str]]
) -> None:
    admin = {"Authorization": f"Bearer {role_keys['admin'][1]}"}
    events = [
        _event(f"ops-{uuid.uuid4().hex}", "acme-corp"),
        _event("ops-missing", "no-such-customer"),
    ]
    async with _client(Settings(database_url=seeded_url)) as client:
        for _ in range(2):
            await client.post("/graphql", json={"query": "query Prices { plans { totalCount } }"})
        await client.post("/graphql", json={"query": "{ metrics { totalCount } }"})
        first = await client.post("/v1/usage/events", json={"events": events}, headers=admin)
        replay = await client.post("/v1/usage/events", json={"events": events[:1]}, headers=admin)
        response = await client.get("/metrics", headers=admin)
    assert (first.json()["accepted"], replay.json()["duplicates"]) == (1, 1)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {
        line.rpartition(" ")[0]: float(line.rpartition(" ")[2])
        for line in response.text.splitlines()
        if line and not line.startswith("#")
    }
    expected = {
        'pricing_graph_request_duration_seconds_count{operation="Prices"}': 2.0,
        'pricing_graph_request_duration_seconds_count{operation="anonymous"}': 1.0,
        'pricing_graph_requests_total{operation="Prices",status="200"}': 2.0,
        'pricing_graph_requests_total{operation="POST /v1/usage/events",status="200"}': 2.0,
        'pricing_graph_errors_total{code="UNKNOWN_CUSTOMER"}': 1.0,
        'pricing_graph_usage_events_total{outcome="accepted"}': 1.0,
        'pricing_graph_usage_events_total{outcome="duplicates"}': 1.0,
        'pricing_graph_usage_events_total{outcome="rejected"}': 1.0,
        "pricing_graph_db_pool_checked_out": 0.0,  # the key check's connection is back
    }
    assert {name: samples.get(name) for name in expected} == expected
    assert samples["pricing_graph_db_pool_size"] >= 1
    assert 'pricing_graph_request_duration_seconds_bucket{le="+Inf",operation="Prices"}' in (
        samples
    )


def test_operation_labels_are_bounded() -> None:
    metrics = Metrics()
    record = RequestRecord("r", "POST", "/graphql", graphql=True)
    names = [f"Op{n}" for n in range(MAX_OPERATION_NAMES + 5)]
    labels = [metrics.operation_label(RequestRecord("r", "POST", "/graphql", name, True), None)
              for name in names]  # fmt: skip
    assert labels[:MAX_OPERATION_NAMES] == names[:MAX_OPERATION_NAMES]
    assert set(labels[MAX_OPERATION_NAMES:]) == {"other"}
    assert metrics.operation_label(RequestRecord("r", "POST", "/graphql", "Op0", True), None) == (
        "Op0"  # a name seen before still counts as itself
    )
    assert metrics.operation_label(record, None) == "anonymous"
    plain = RequestRecord("r", "GET", "/nowhere")
    assert metrics.operation_label(plain, None) == "other"
    assert metrics.operation_label(plain, "/readyz") == "GET /readyz"


async def test_who_may_read_metrics(seeded_url: str, role_keys: dict[str, tuple[int, str]]) -> None:
    """services.access: "GET /metrics" is for admin keys only (unless made public)."""
    statuses = {}
    async with _client(Settings(database_url=seeded_url)) as client:
        statuses["anonymous"] = (await client.get("/metrics")).status_code
        for role, (_, secret) in role_keys.items():
            answer = await client.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
            statuses[role] = answer.status_code
            if answer.status_code == 403:
                assert answer.json()["errors"][0]["code"] == "FORBIDDEN"
        unknown = await client.get("/metrics", headers={"Authorization": "Bearer pgk_nope"})
    assert statuses == {"anonymous": 401, "admin": 200, "sales": 403, "partner": 403}
    assert unknown.status_code == 401
    assert unknown.json()["errors"][0]["code"] == "UNAUTHENTICATED"
    async with _client(Settings(database_url=seeded_url, metrics_public=True)) as client:
        assert (await client.get("/metrics")).status_code == 200


# --- readiness -------------------------------------------------------------------------------


async def test_ready_on_a_migrated_database(database_url: str) -> None:
    head = head_revision()
    async with _client(Settings(database_url=database_url)) as client:
        response = await client.get("/readyz")
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ready", "database": "up", "migration": {"current": head, "head": head}},
    )


async def test_ready_checks_a_clickhouse_usage_store(
    database_url: str, clickhouse_server: str
) -> None:
    head = head_revision()
    migration = {"current": head, "head": head}
    name = f"pricing_graph_ready_{uuid.uuid4().hex[:8]}"
    async with _client(
        Settings(database_url=database_url, usage_url=f"{clickhouse_server}/{name}")
    ) as client:
        response = await client.get("/readyz")
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ready", "database": "up", "migration": migration, "usage": "up"},
    )
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    usage_url = f"clickhouse://reader:s3cret@127.0.0.1:{closed}/usage"
    async with _client(Settings(database_url=database_url, usage_url=usage_url)) as client:
        response = await client.get("/readyz")
    body = response.json()
    assert (response.status_code, body["status"], body["database"], body["usage"]) == (
        503,
        "unavailable",
        "up",
        "down",
    )
    assert body["reason"].startswith("the ClickHouse usage store cannot be reached (")
    assert "s3cret" not in response.text


async def test_not_ready_on_an_unmigrated_database(empty_database_url: str) -> None:
    head = head_revision()
    async with _client(Settings(database_url=empty_database_url)) as client:
        ready = await client.get("/readyz")
        alive = await client.get("/healthz")
    assert (ready.status_code, ready.json()) == (
        503,
        {
            "status": "not ready",
            "database": "up",
            "migration": {"current": None, "head": head},
            "reason": f"the database is at migration none, the code needs {head}: "
            "run `pricing-graph migrate`",
        },
    )
    assert alive.status_code == 200  # liveness: the process and the database answer


async def test_not_ready_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'missing-directory' / 'x.db'}"
    async with _client(Settings(database_url=url)) as client:
        response = await client.get("/readyz")
    body = response.json()
    assert (response.status_code, body["status"], body["database"]) == (503, "unavailable", "down")
    assert body["reason"] == "the database cannot be reached (unable to open database file)"


# --- tracing ---------------------------------------------------------------------------------


def test_tracing_is_off_by_default() -> None:
    assert Settings.from_env({}).otel is False
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    [graphql] = [route for route in app.routes if getattr(route, "path", "") == "/graphql"]
    served = graphql.endpoint.schema  # type: ignore[attr-defined]
    assert served is schema
    assert all("OpenTelemetry" not in getattr(e, "__name__", "") for e in served.extensions)


async def test_tracing_when_asked_for(seeded_url: str) -> None:
    from pricing_graph.api.observe import tracing_available

    if not tracing_available():
        reason = "the otel extra is not installed (pip install 'pricing-graph[otel]')"
        if IN_CI:  # the dev extras carry it, so `make test` always runs this test
            pytest.fail(f"{reason}; CI=true requires it", pytrace=False)
        pytest.skip(reason)
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with _client(Settings(database_url=seeded_url, otel=True)) as client:
        await client.post("/graphql", json={"query": "query Traced { metrics { totalCount } }"})
    assert "GraphQL Query: Traced" in {span.name for span in exporter.get_finished_spans()}


# --- an empty (never migrated) database of each backend --------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    from tests.conftest import _pg, _pg_url

    user = request.getfixturevalue("pg_user")
    name = f"pricing_graph_empty_{uuid.uuid4().hex[:12]}"
    _pg(user, f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(user, name)
    finally:
        _pg(user, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
