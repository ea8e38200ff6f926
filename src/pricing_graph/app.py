"""The ASGI application: GraphQL (with GraphiQL) at /graphql and a health check at /healthz.

Every request first meets the guards (http/guards.py: CORS, security headers, the rate
limit, body checks and the time limit), every GraphQL operation the query limits
(api/limits.py); docs/security.md lists them with their settings.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.types import ExecutionResult

from pricing_graph.api.context import Context, Database
from pricing_graph.api.limits import http_status
from pricing_graph.api.observe import answer_codes, ingest_counts, operation_name, with_tracing
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
from pricing_graph.http.usage import ingest_endpoint
from pricing_graph.services import keys
from pricing_graph.services.errors import ErrorCode
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.settings import Settings
from pricing_graph.store.engine import is_statement_timeout, make_engine, make_session_factory
from pricing_graph.web import graphiql_html
from pricing_graph.web import routes as web_routes

log = logging.getLogger("pricing_graph")


GRAPHQL_PATH = "/graphql"
INGEST_PATH = "/v1/usage/events"
NOT_AN_OBJECT = 'the body must be a JSON object such as {"query": "{ products { totalCount } }"}'


class PricingGraphQL(GraphQL[Context, None]):
    def __init__(self, database: Database) -> None:
        # Production serves no GraphiQL page (GET /graphql for HTML answers 404).
        ide: Literal["graphiql"] | None = None if database.settings.production else "graphiql"
        # OpenTelemetry spans only when asked for (PRICING_GRAPH_OTEL=true, the otel extra).
        served = with_tracing(schema) if database.settings.otel else schema
        super().__init__(served, graphql_ide=ide)
        self.database = database

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
        """An operation a limit refused as a whole answers its 4xx status, not 200."""
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        status = http_status(result)
        if status is not None:
            sub_response.status_code = status
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
            await super().__call__(scope, receive, send)
        except Unauthenticated:
            await unauthenticated()(scope, receive, send)


class Unauthenticated(Exception):
    """The request's Authorization names no active API key."""


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
    database = Database(engine=engine, sessions=make_session_factory(engine), settings=settings)

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
        await engine.dispose()

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
