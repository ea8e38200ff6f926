"""The ASGI application: GraphQL (with GraphiQL) at /graphql and a health check at /healthz.

Every request first meets the guards (http/guards.py: CORS, security headers, the rate
limit, body checks and the time limit), every GraphQL operation the query limits
(api/limits.py); docs/security.md lists them with their settings.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.types import ExecutionResult

from pricing_graph.api.context import Context, Database
from pricing_graph.api.limits import http_status
from pricing_graph.api.observe import answer_codes, ingest_counts, operation_name, with_tracing
from pricing_graph.api.persisted import Documents, PersistedRefusal, Resolved
from pricing_graph.api.schema import schema
from pricing_graph.http import ops
from pricing_graph.http.guards import (
    SECURITY_HEADERS,
    Endpoint,
    RateLimit,
    RequestGuard,
    SecurityHeaders,
    graphiql_csp,
    graphql_errors,
    html_headers,
    plain_errors,
)
from pricing_graph.http.public_cache import (
    NO_STORE_HEADERS,
    PRIVATE_HEADERS,
    CacheKey,
    PublicCache,
    cache_key,
    etag_matches,
    public_headers,
)
from pricing_graph.http.usage import ingest_endpoint
from pricing_graph.services import keys
from pricing_graph.services.actor import ANONYMOUS
from pricing_graph.services.errors import ErrorCode
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.settings import Settings
from pricing_graph.store.catalog_version import current_catalog_version, version_engine
from pricing_graph.store.engine import is_statement_timeout, make_engine, make_session_factory
from pricing_graph.store.usage_store import connect_usage_store
from pricing_graph.web import graphiql_html
from pricing_graph.web import routes as web_routes

log = logging.getLogger("pricing_graph")


GRAPHQL_PATH = "/graphql"
INGEST_PATH = "/v1/usage/events"
NOT_AN_OBJECT = 'the body must be a JSON object such as {"query": "{ products { totalCount } }"}'
# Per-request notes in the ASGI scope, from `__call__` to `execute_single` and back.
RESOLVED = "pricing_graph.resolved"  # the persisted document resolved for an anonymous caller
CACHE_KEY = "pricing_graph.cache_key"  # the public cache key of an anonymous request
CACHEABLE = "pricing_graph.cacheable"  # its answer may be kept: a query, no errors


class PricingGraphQL(GraphQL[Context, None]):
    def __init__(self, database: Database) -> None:
        # Production serves no GraphiQL page (GET /graphql for HTML answers 404).
        ide: Literal["graphiql"] | None = None if database.settings.production else "graphiql"
        # OpenTelemetry spans only when asked for (PRICING_GRAPH_OTEL=true, the otel extra).
        served = with_tracing(schema) if database.settings.otel else schema
        super().__init__(served, graphql_ide=ide)
        self.database = database
        settings = database.settings
        self.documents = Documents(schema._schema, settings)
        self.cache = PublicCache(settings.public_cache_entries, settings.public_cache_max_bytes)
        # The catalog version is read on its own lean engine (store/catalog_version.py).
        self.versions = version_engine(
            database.engine, statement_timeout_ms=settings.statement_timeout_ms
        )
        self.public_headers = (
            settings.public_max_age_seconds,
            settings.public_stale_while_revalidate_seconds,
        )

    @property
    def graphql_ide_html(self) -> str:
        # GraphiQL from the package's vendored files (web/static/graphiql), not a CDN, opening
        # on the README's pricing-page query.
        return graphiql_html()

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses what json.loads lets through to a 500 later: bytes that are not
        # UTF-8, lone surrogates; both raise JSONDecodeError, which answers 400.
        return orjson.loads(data)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> Any:
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            if "application/json" in content_type:
                body = self.parse_json(await request.get_body())
                if not isinstance(body, dict | list):  # null, 42, "text": not a request
                    raise HTTPException(400, NOT_AN_OBJECT)
        return await super().parse_http_body(request)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Persisted documents resolved (APQ, trusted documents); an operation a limit
        refused as a whole answers its 4xx status, not 200."""
        scope = request.scope
        resolved = scope.get(RESOLVED)
        if not isinstance(resolved, Resolved):  # a caller with a key: resolved here
            found = self.documents.resolve(
                request_data.query, request_data.extensions, anonymous=False
            )
            if isinstance(found, PersistedRefusal):
                raise Refused(found)
            resolved = found
        if resolved.query is not None and resolved.query is not request_data.query:
            request_data = dataclasses.replace(request_data, query=resolved.query)
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        status = http_status(result)
        if status is not None:
            sub_response.status_code = status
        if (
            CACHE_KEY in scope
            and status is None
            and result.errors is None
            and result.data is not None
            and self.documents.is_query(resolved, request_data.operation_name)
        ):
            scope[CACHEABLE] = True
        ops.note_graphql(  # for the request log and the metrics
            operation_name(request_data.query, request_data.operation_name),
            answer_codes(result.errors, result.data),
            ingest_counts(result.data),
        )
        return result

    async def get_context(self, request: Any, response: Any = None) -> Context:
        """The caller comes from `Authorization: Bearer <key>` (a stored key, else one of
        PRICING_GRAPH_API_KEYS); none is anonymous; a key that names no active key is
        refused with 401 before anything runs (see `__call__`)."""
        uow = UnitOfWork(self.database)
        try:
            actor = await keys.identify(uow, request.headers.get("authorization"))
        finally:
            await uow.close()
        if actor is None:
            raise Unauthenticated
        ops.note_caller(actor)
        return Context(self.database, actor=actor)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # get_context runs before the request is read or answered, so the 401 is whole.
        try:
            if scope["type"] == "http" and scope.get("method") in ("GET", "POST"):
                await self._http(scope, receive, send)
            else:
                await super().__call__(scope, receive, send)
        except Unauthenticated:
            await unauthenticated()(scope, receive, _with_headers(send, PRIVATE_HEADERS))
        except Refused as refused:
            await _json(send, refused.refusal.status, refused.refusal.body(), PRIVATE_HEADERS)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Callers with a key: `Cache-Control: private, no-store` on every answer. Anonymous
        GraphQL requests: persisted documents resolved, then the public cache
        (docs/caching.md): 304 for a matching If-None-Match, the kept bytes for a hit, else
        the operation runs and an answer without errors is kept."""
        authorization = _header(scope, b"authorization")
        if authorization is not None and authorization.strip():
            await super().__call__(scope, receive, _with_headers(send, PRIVATE_HEADERS))
            return
        payload, receive = await _payload(scope, receive)
        if payload is None:  # GraphiQL's page, or a request Strawberry refuses as malformed
            await super().__call__(scope, receive, send)
            return
        found = self.documents.resolve(
            payload.get("query"), payload.get("extensions"), anonymous=True
        )
        if isinstance(found, PersistedRefusal):
            await _json(send, found.status, found.body(), NO_STORE_HEADERS)
            return
        scope[RESOLVED] = found
        key: CacheKey | None = None
        cacheable = self.cache.enabled and found.digest is not None
        version = await self._catalog_version() if cacheable else None
        if version is not None and found.digest is not None:
            operation = payload.get("operationName")
            key = cache_key(
                found.digest,
                operation if isinstance(operation, str) else None,
                payload.get("variables"),
                version,
                datetime.now(UTC).date().isoformat(),
            )
            scope[CACHE_KEY] = key
            headers = public_headers(key.etag, *self.public_headers)
            # The tag is derived from the key and given only to answers without errors,
            # so a match means the client holds this very answer (kept here or not).
            if etag_matches(_header(scope, b"if-none-match"), key.etag):
                ops.note_caller(ANONYMOUS)
                await _send(send, 304, b"", headers)
                return
            body = self.cache.get(key.digest)
            if body is not None:
                ops.note_caller(ANONYMOUS)
                ops.note_graphql(
                    operation_name(found.query, operation if isinstance(operation, str) else None),
                    [],
                    {},
                )
                await _send(send, 200, body, [(b"content-type", b"application/json"), *headers])
                return
        await super().__call__(scope, receive, self._keeping(scope, send, key))

    async def _catalog_version(self) -> int | None:
        """Read once per request, one statement: a catalog write committed by any worker or
        host changes the very next answer (read before executing, so an answer is never
        older than the version it is kept under). None when the database cannot say (down,
        not migrated): the request then runs uncached and meets the failure itself."""
        try:
            return await current_catalog_version(self.versions)
        except Exception:
            return None

    def _keeping(self, scope: Scope, send: Send, key: CacheKey | None) -> Send:
        """`send`, adding the cache headers once the operation ran and keeping a cacheable
        answer's bytes."""
        chunks: list[bytes] = []
        keep = False

        async def sending(message: Message) -> None:
            nonlocal keep
            if message["type"] == "http.response.start":
                keep = key is not None and bool(scope.get(CACHEABLE)) and message["status"] == 200
                extra = (
                    public_headers(key.etag, *self.public_headers)
                    if keep and key
                    else NO_STORE_HEADERS
                )
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            elif message["type"] == "http.response.body" and keep and key is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self.cache.put(key.digest, b"".join(chunks))
            await send(message)

        return sending


class Unauthenticated(Exception):
    """The request's Authorization names no active API key."""


class Refused(Exception):
    """A persisted-document refusal, answered instead of running the operation."""

    def __init__(self, refusal: PersistedRefusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    # A 304 has no body and no Content-Length (which would have to be the 200's).
    all_headers = (
        headers if status == 304 else [*headers, (b"content-length", str(len(body)).encode())]
    )
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


async def _json(
    send: Send, status: int, content: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    await _send(
        send, status, orjson.dumps(content), [(b"content-type", b"application/json"), *headers]
    )


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *extra]}
        await send(message)

    return sending


async def _payload(scope: Scope, receive: Receive) -> tuple[dict[str, Any] | None, Receive]:
    """The GraphQL request's fields (`query`, `variables`, `operationName`, `extensions`)
    when they read cleanly as JSON, else None (Strawberry then answers as it does), and a
    `receive` that replays the body."""
    if scope["method"] == "GET":
        params = dict(parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1")))
        if "query" not in params and "extensions" not in params:
            return None, receive
        payload: dict[str, Any] = {
            "query": params.get("query"),
            "operationName": params.get("operationName"),
        }
        try:
            for name in ("variables", "extensions"):
                payload[name] = orjson.loads(params[name]) if params.get(name) else None
        except orjson.JSONDecodeError:
            return None, receive
        return payload, receive
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None, _replay(b"".join(chunks), message, receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replay = _replay(body, None, receive)
    media_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return None, replay
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None, replay
    return (parsed if isinstance(parsed, dict) else None), replay


def _replay(body: bytes, last: Message | None, receive: Receive) -> Receive:
    """The body once, as read (then `last`, a disconnect, if that ended it), then `receive`."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    if last is not None:
        pending.append(last)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


UNAUTHENTICATED_MESSAGE = (
    "the API key is unknown, revoked or malformed: send `Authorization: Bearer <key>` with an "
    "active key, or no Authorization header to call anonymously"
)


def unauthenticated() -> Response:
    """401 with a GraphQL error (GraphQL over HTTP: refused before execution, so `errors`
    and no `data`) and the RFC 6750 challenge."""
    return JSONResponse(
        {
            "errors": [
                {
                    "message": UNAUTHENTICATED_MESSAGE,
                    "extensions": {"code": ErrorCode.UNAUTHENTICATED.value},
                }
            ]
        },
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="pricing-graph", error="invalid_token"'},
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url, statement_timeout_ms=settings.statement_timeout_ms)
    database = Database(
        engine=engine,
        sessions=make_session_factory(engine),
        settings=settings,
        usage=connect_usage_store(settings.usage_url),
    )

    async def healthz(_request: Request) -> Response:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check failed")
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "up"})

    async def root(_request: Request) -> Response:
        return RedirectResponse("/graphql")

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await engine.dispose()  # also the catalog version's engine
        await database.usage.close()

    graphql = PricingGraphQL(database)
    metrics = ops.Metrics(engine)
    return Starlette(
        middleware=[
            Middleware(ops.RequestLog, metrics=metrics),  # outermost: sees every answer
            *middleware(settings, graphql),
        ],
        routes=[
            Route("/", root),
            Route("/healthz", healthz),
            Route("/readyz", ops.readiness_endpoint(engine)),
            Route("/metrics", ops.metrics_endpoint(database, metrics)),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/v1/usage/events", ingest_endpoint(database), methods=["POST"]),
            # The embeddable pricing table, its demo page, GraphiQL's assets (web/).
            *web_routes(graphiql=graphql.graphql_ide is not None),
        ],
        lifespan=lifespan,
    )


def middleware(settings: Settings, graphql: PricingGraphQL) -> list[Middleware]:
    """Outermost first: CORS (so refusals carry its headers too), security headers, the
    rate limit, then the body checks and the time limit."""
    bodies = {GRAPHQL_PATH: graphql_errors, INGEST_PATH: plain_errors}
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After", ops.REQUEST_ID_HEADER],
            max_age=600,
        ),
        Middleware(
            SecurityHeaders,
            always=SECURITY_HEADERS,
            html=html_headers(graphiql_csp(graphql.graphql_ide_html)),
        ),
        Middleware(
            RateLimit,
            per_second=settings.rate_limit_per_second,
            burst=settings.rate_limit_burst,
            bodies=bodies,
            exempt=ops.PROBE_PATHS,
        ),
        Middleware(
            RequestGuard,
            endpoints={
                GRAPHQL_PATH: Endpoint(
                    settings.graphql_max_body_bytes,
                    "PRICING_GRAPH_GRAPHQL_MAX_BODY_BYTES",
                    graphql_errors,
                    strict_strings=False,
                ),
                INGEST_PATH: Endpoint(
                    settings.ingest_max_body_bytes,
                    "PRICING_GRAPH_INGEST_MAX_BODY_BYTES",
                    plain_errors,
                    strict_strings=True,
                ),
            },
            time_limit_seconds=settings.request_time_limit_seconds,
            is_timeout=is_statement_timeout,
        ),
    ]
