"""No request gets a 500, a stack trace or "Unexpected error.": each malformed or abusive one
gets a 4xx or a typed GraphQL error, with the exact status and code asserted here.

Most cases run in process (httpx over ASGI, where an exception would fail the test); client
disconnects and raw bytes run against a real server whose log is read for tracebacks. The
domain's own bounds (periods, period indexes, dates, growth, property sizes) are checked
here too: those marked xfail are not bounded yet (the services are being refactored).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from tests.support.server import Server, logged_server

from pricing_graph.app import create_app
from pricing_graph.demo.seed import seed_demo
from pricing_graph.settings import Settings

ADMIN_KEY = "no-500-test-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
JSON = {"content-type": "application/json"}
DOMAIN_BOUND = "domain bound: pending services refactor"


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
        httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as http,
    ):
        yield http


@pytest.fixture
async def http(seeded_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(seeded_url) as client:
        yield client


def _no_masked_errors(text: str) -> None:
    assert "Unexpected error." not in text
    assert "Traceback" not in text


def _code(body: dict[str, Any]) -> tuple[str, str | None]:
    (error,) = body["errors"]
    return error["extensions"]["code"], error["extensions"]["field"]


# --- bodies of POST /graphql ----------------------------------------------------------------

QUERY = b'{"query": "{ __typename }"}'


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"query": "{ __typename }", "x": "\xff\xfe"}', "application/json", 400, "INVALID_BODY"),
        (b"\xef\xbb\xbf" + QUERY[:-1] + b"\xc3", "application/json", 400, "INVALID_BODY"),
        (b"null", "application/json", 400, None),
        (b"42", "application/json", 400, None),
        (b'"{ __typename }"', "application/json", 400, None),
        (b"true", "application/json", 400, None),
        (b"[]", "application/json", 400, None),
        (b'[{"query": "{ __typename }"}]', "application/json", 400, None),
        (b"{}", "application/json", 400, None),
        (b"{not json", "application/json", 400, None),
        (b'{"query": ["{ __typename }"]}', "application/json", 400, None),
        (b'{"query": "{ __typename }", "variables": [1]}', "application/json", 400, None),
        (b'{"query": "{ __typename }", "variables": "x"}', "application/json", 400, None),
        (b'{"query": "{ __typename }", "operationName": 5}', "application/json", 400, None),
        (b'{"query": "{ __typename }", "extensions": 5}', "application/json", 400, None),
        (
            b'{"query": "query($s: String) { __typename }", "variables": {"s": "\\ud800"}}',
            "application/json",
            400,
            None,
        ),
        (b'{"query": "{ __typename }", "n": 1e999999}', "application/json", 400, None),
        (
            b'{"query": "{ __typename }", "n": 123456789012345678901234567890}',
            "application/json",
            200,
            None,
        ),
        (QUERY, "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (QUERY, "application/graphql", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (QUERY, "multipart/form-data; boundary=x", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (QUERY, "", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (QUERY + b" " * (1024 * 1024), "application/json", 413, "BODY_TOO_LARGE"),
        (QUERY, "application/json; charset=utf-8", 200, None),
    ],
    ids=[
        "non-utf8",
        "truncated-utf8",
        "null",
        "number",
        "string",
        "boolean",
        "empty-batch",
        "batch",
        "empty-object",
        "not-json",
        "query-list",
        "variables-list",
        "variables-string",
        "operation-name-number",
        "extensions-number",
        "lone-surrogate",
        "huge-float",
        "huge-int",
        "text-plain",
        "application-graphql",
        "multipart",
        "no-content-type",
        "oversized",
        "json-charset",
    ],
)
async def test_graphql_bodies(
    http: httpx.AsyncClient, body: bytes, content_type: str, status: int, code: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await http.post("/graphql", content=body, headers=headers)
    assert response.status_code == status, response.text
    _no_masked_errors(response.text)
    if code is not None:
        assert response.json()["errors"][0]["extensions"]["code"] == code


# --- bodies of POST /v1/usage/events --------------------------------------------------------


def _event(event_id: str = "e-1", **changes: Any) -> dict[str, Any]:
    event = {
        "eventId": event_id,
        "customerId": "acme-corp",
        "metricKey": "input_tokens",
        "timestamp": "2026-01-05T10:00:00Z",
        "value": "1",
    }
    event.update(changes)
    return event


def _events(*events: dict[str, Any]) -> bytes:
    return json.dumps({"events": list(events)}).encode()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "field"),
    [
        (b'{"events": ["\xff"]}', "application/json", 400, "INVALID_BODY", "body"),
        (b"null", "application/json", 400, "INVALID_VALUE", "events"),
        (b"42", "application/json", 400, "INVALID_VALUE", "events"),
        (b"[]", "application/json", 400, "INVALID_VALUE", "events"),
        (b"{not json", "application/json", 400, "INVALID_VALUE", "events"),
        (b'{"events": {}}', "application/json", 400, "INVALID_VALUE", "events"),
        (
            _events(_event()).replace(b'"e-1"', b'"e\\u0000"'),
            "application/json",
            400,
            "INVALID_VALUE",
            "body",
        ),
        (
            _events(_event(properties={"k": "v"})).replace(b'"k"', b'"k\\u0000"'),
            "application/json",
            400,
            "INVALID_VALUE",
            "body",
        ),
        (
            _events(_event()).replace(b'"e-1"', b'"\\ud800"'),
            "application/json",
            400,
            "INVALID_BODY",
            "body",
        ),
        (
            _events(_event(properties={"k": "v"})).replace(b'"v"', b'"\\udfff x"'),
            "application/json",
            400,
            "INVALID_BODY",
            "body",
        ),
        (_events(_event()), "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE", "content-type"),
        (
            _events(_event()),
            "application/x-www-form-urlencoded",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "content-type",
        ),
        (_events(_event()), "", 415, "UNSUPPORTED_MEDIA_TYPE", "content-type"),
        (
            b'{"events": []}' + b" " * (8 * 1024 * 1024),
            "application/json",
            413,
            "BODY_TOO_LARGE",
            "body",
        ),
    ],
    ids=[
        "non-utf8",
        "null",
        "number",
        "list",
        "not-json",
        "events-object",
        "nul-in-event-id",
        "nul-in-property-name",
        "lone-surrogate-in-event-id",
        "lone-surrogate-in-property",
        "text-plain",
        "form",
        "no-content-type",
        "oversized",
    ],
)
async def test_bulk_endpoint_bodies(
    http: httpx.AsyncClient,
    body: bytes,
    content_type: str,
    status: int,
    code: str,
    field: str,
) -> None:
    headers = {"content-type": content_type, **ADMIN} if content_type else ADMIN
    response = await http.post("/v1/usage/events", content=body, headers=headers)
    assert response.status_code == status, response.text
    (error,) = response.json()["errors"]
    assert (error["index"], error["code"], error["field"]) == (None, code, field)


async def test_an_escaped_emoji_is_fine(http: httpx.AsyncClient) -> None:
    body = _events(_event("emoji", properties={"k": "v"})).replace(b'"v"', b'"\\ud83d\\ude00"')
    response = await http.post("/v1/usage/events", content=body, headers={**JSON, **ADMIN})
    assert response.status_code == 200, response.text


# --- NUL characters and dates in GraphQL ----------------------------------------------------

CREATE_CUSTOMER = """
mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) { customer { id } errors { field code } }
}
"""


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        ('{ product(key: "llm\\u0000platform") { id } }', None, "key"),
        ('{ product(key: "llm\\u{0}platform") { id } }', None, "key"),
        (
            'mutation { createCustomer(input: {externalId: "x", name: "A\\u0000"}) '
            "{ errors { code } } }",
            None,
            "input.name",
        ),
        ("query($k: String) { product(key: $k) { id } }", {"k": "a\u0000"}, "k"),
        (CREATE_CUSTOMER, {"input": {"externalId": "nul-1", "name": "A\u0000"}}, "input.name"),
        (
            "mutation($e: [UsageEventInput!]!) { ingestUsage(events: $e) { accepted } }",
            {"e": [_event(properties={"a": ["ok", "b\u0000"]})]},
            "e.0.properties.a.1",
        ),
        (
            "mutation($e: [UsageEventInput!]!) { ingestUsage(events: $e) { accepted } }",
            {"e": [_event(properties={"k\u0000": 1})]},
            "e.0.properties.k\\u0000",
        ),
    ],
    ids=[
        "literal",
        "braced-literal",
        "input-literal",
        "variable",
        "input-variable",
        "json",
        "json-key",
    ],
)
async def test_nul_characters_are_refused_by_name(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None, field: str
) -> None:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=ADMIN
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body.get("data") is None
    assert _code(body) == ("INVALID_VALUE", field)
    assert "NUL" in body["errors"][0]["message"]


INGEST_LITERAL = (
    'mutation {{ ingestUsage(events: [{{eventId: "d", customerId: "acme-corp", '
    'metricKey: "input_tokens", timestamp: {stamp}, value: "1"}}]) {{ accepted }} }}'
)
INGEST_VARIABLE = "mutation($t: DateTime!) { ingestUsage(events: [{" + (
    'eventId: "d", customerId: "acme-corp", metricKey: "input_tokens", timestamp: $t, '
    'value: "1"}]) { accepted } }'
)
COMPARE = (
    '{{ comparePlans(productId: "UHJvZHVjdDox", usage: [], startDate: {date}) '
    "{{ errors {{ code }} }} }}"
)
COMPARE_VARIABLE = "query($d: Date) " + COMPARE.format(date="$d")


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (INGEST_LITERAL.format(stamp='"2026-99-01T00:00:00Z"'), None, None),
        (INGEST_LITERAL.format(stamp='"yesterday"'), None, None),
        (INGEST_LITERAL.format(stamp="5"), None, None),
        (INGEST_LITERAL.format(stamp="true"), None, None),
        (INGEST_VARIABLE, {"t": "not a time"}, "t"),
        (INGEST_VARIABLE, {"t": 1767225600}, "t"),
        (
            "mutation($e: [UsageEventInput!]!) { ingestUsage(events: $e) { accepted } }",
            {"e": [_event(timestamp="2026-13-01T00:00:00Z")]},
            "e.0.timestamp",
        ),
        (COMPARE.format(date='"2026-02-30"'), None, None),
        (COMPARE.format(date='"0000-01-01"'), None, None),
        (COMPARE.format(date="20260101"), None, None),
        (COMPARE_VARIABLE, {"d": "31/12/2026"}, "d"),
        (COMPARE_VARIABLE, {"d": ["2026-01-01"]}, "d"),
    ],
    ids=[
        "datetime-literal-month-99",
        "datetime-literal-words",
        "datetime-literal-int",
        "datetime-literal-bool",
        "datetime-variable",
        "datetime-variable-int",
        "datetime-nested-variable",
        "date-literal-feb-30",
        "date-literal-year-0",
        "date-literal-int",
        "date-variable",
        "date-variable-list",
    ],
)
async def test_dates_that_do_not_parse_are_typed_errors(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None, field: str | None
) -> None:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=ADMIN
    )
    assert response.status_code == 200
    _no_masked_errors(response.text)
    body = response.json()
    assert body["data"] is None
    assert _code(body) == ("INVALID_VALUE", field)


# --- the domain's own bounds ----------------------------------------------------------------


async def _ids(http: httpx.AsyncClient) -> dict[str, str]:
    response = await http.post(
        "/graphql",
        json={
            "query": '{ customer(externalId: "acme-corp") { contracts { nodes { id endDate } } } '
            'product(key: "llm-platform") { id plans { nodes { id key } } } }'
        },
        headers=ADMIN,
    )
    data = response.json()["data"]
    open_ended = next(c for c in data["customer"]["contracts"]["nodes"] if c["endDate"] is None)
    plans = {p["key"]: p["id"] for p in data["product"]["plans"]["nodes"]}
    return {"contract": open_ended["id"], "product": data["product"]["id"], **plans}


def _refused(response: httpx.Response) -> None:
    """A 4xx, or a typed error: at the top level with a code, or in the payload."""
    assert response.status_code < 500, response.text
    _no_masked_errors(response.text)
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    payload_codes = [
        error["code"]
        for value in (body.get("data") or {}).values()
        if isinstance(value, dict)
        for error in value.get("errors") or []
    ]
    assert response.status_code >= 400 or (all(codes) and codes) or payload_codes, body


QUOTE = "query($input: QuoteInput!) { quote(input: $input) { quote { total } errors { code } } }"


def _quote(plan: str, **changes: Any) -> dict[str, Any]:
    given = {"planId": plan, "startDate": "2026-01-01", "periods": 12, "usage": []}
    return {"input": {**given, **changes}}


BOUNDS: list[Any] = [
    pytest.param(
        "{{ contract(id: {contract!r}) {{ invoicePreview(periodIndex: -1) {{ total }} }} }}",
        None,
        id="periodIndex--1",
    ),
    pytest.param(
        "{{ contract(id: {contract!r}) {{ invoicePreview(periodIndex: 95000) {{ total }} }} }}",
        None,
        id="periodIndex-95000",
    ),
    pytest.param(
        "{{ contract(id: {contract!r}) {{ invoicePreview(periodIndex: 1201) {{ total }} }} }}",
        None,
        id="periodIndex-1201-open-ended",
    ),
    pytest.param(
        '{{ contract(id: {contract!r}) {{ invoicePreview(date: "9999-12-31") {{ total }} }} }}',
        None,
        id="invoicePreview-date-9999-12-31",
    ),
    pytest.param(
        "{{ contract(id: {contract!r}) {{ invoicePreview {{ total }} "
        "upcomingInvoices(count: 0) {{ total }} usageStatus {{ metricKey }} }} }}",
        None,
        id="upcomingInvoices-count-0",
    ),
    pytest.param(
        "query($p: Int!) {{ comparePlans(productId: {product!r}, usage: [], periods: $p) "
        "{{ plans {{ total }} errors {{ code }} }} }}",
        {"p": 2147483647},
        id="comparePlans-periods-2147483647",
    ),
    pytest.param(
        '{{ comparePlans(productId: {product!r}, usage: [], startDate: "9999-12-01") '
        "{{ plans {{ total }} errors {{ code }} }} }}",
        None,
        id="comparePlans-startDate-9999-12-01",
    ),
    pytest.param(QUOTE, "periods-2147483647", id="quote-periods-2147483647"),
    pytest.param(QUOTE, "periods-0", id="quote-periods-0"),
    pytest.param(
        QUOTE,
        "startDate-9999",
        id="quote-startDate-9999-12-01",
    ),
    pytest.param(
        QUOTE,
        "growth",
        id="quote-growthPercent-1000000",
    ),
]


@pytest.mark.parametrize(("query", "variables"), BOUNDS)
async def test_domain_bounds_are_typed_refusals(
    http: httpx.AsyncClient, query: str, variables: Any
) -> None:
    ids = await _ids(http)
    if query == QUOTE:
        plan = ids["llm-pro"]
        variables = {
            "periods-2147483647": _quote(plan, periods=2147483647),
            "periods-0": _quote(plan, periods=0),
            "startDate-9999": _quote(plan, startDate="9999-12-01"),
            "growth": _quote(
                plan,
                usage=[
                    {"metricKey": "input_tokens", "quantity": "1000", "growthPercent": "1000000"}
                ],
            ),
        }[variables]
    else:
        query = query.format(**{k: v for k, v in ids.items() if k in ("contract", "product")})
        query = query.replace("'", '"')
    started = time.perf_counter()
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=ADMIN
    )
    assert time.perf_counter() - started < 5
    _refused(response)


async def test_event_properties_are_bounded(http: httpx.AsyncClient) -> None:
    body = _events(_event("big-properties", properties={"blob": "x" * 5_000_000}))
    response = await http.post("/v1/usage/events", content=body, headers={**JSON, **ADMIN})
    assert response.status_code < 500
    result = response.json()
    assert result.get("accepted") == 0, "an event with 5 MB of properties was stored"
    assert result["errors"][0]["field"].startswith("events.0.properties")


# --- over a real server: disconnects and raw bytes ------------------------------------------


@pytest.fixture(scope="module")
def server(seeded_url: str) -> Iterator[Server]:
    with logged_server(seeded_url, PRICING_GRAPH_API_KEYS=f"{ADMIN_KEY}:admin") as running:
        yield running


def _raw(server: Server, data: bytes, *, read: bool = True) -> bytes:
    host, port = server.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(data)
        if not read:
            return b""
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def _request(path: str, body: bytes, *, length: int | None = None, close: bool = True) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n"
        + ("Connection: close\r\n" if close else "")
        + "\r\n"
    )
    return head.encode() + body


def _healthy_and_quiet(server: Server) -> None:
    assert httpx.get(f"{server.base}/healthz").status_code == 200
    log = server.log()
    for sign in ("Traceback", "Exception in ASGI application", " 500 ", "ERROR"):
        assert sign not in log, log


@pytest.mark.parametrize("path", ["/graphql", "/v1/usage/events"])
def test_client_disconnects(server: Server, path: str) -> None:
    body = json.dumps({"query": "{ products { totalCount } }", "events": []}).encode()
    # Gone while sending the body, gone right after sending it, gone after the headers.
    _raw(server, _request(path, body[:10], length=len(body)), read=False)
    _raw(server, _request(path, body, close=False), read=False)
    _raw(server, _request(path, b"", length=5_000_000), read=False)
    time.sleep(0.5)
    _healthy_and_quiet(server)


def test_raw_bytes_over_http(server: Server) -> None:
    for body in (b"\xff\xfe\x00\x00", b"null", b'{"query": "\x00"}', b"\x00" * 1000):
        answer = _raw(server, _request("/graphql", body))
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, answer
    answer = _raw(server, _request("/graphql", b"{}", length=10**12))
    assert int(answer.split(b" ", 2)[1]) == 413
    _healthy_and_quiet(server)
