"""The ASGI application: GraphQL (with GraphiQL) at /graphql (endpoint/: keys, persisted
documents, the public read cache) and a health check at /healthz.

Every request first meets the guards (http/guards.py: CORS, security headers, the rate
limit, body checks and the time limit), every GraphQL operation the query limits
(api/limits.py); docs/security.md lists them with their settings.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from pricing_graph.api.context import Database
from pricing_graph.endpoint.graphql import PricingGraphQL
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
from pricing_graph.settings import Settings
from pricing_graph.store.engine import is_statement_timeout, make_engine, make_session_factory
from pricing_graph.store.usage_store import connect_usage_store
from pricing_graph.web import routes as web_routes

__all__ = ["PricingGraphQL", "create_app", "create_served_app", "middleware"]

log = logging.getLogger("pricing_graph")


GRAPHQL_PATH = "/graphql"
INGEST_PATH = "/v1/usage/events"


def create_served_app() -> Starlette:
    """`pricing-graph serve`'s application (uvicorn's factory, in every worker): the app,
    whose start freezes what the process holds by then for the garbage collector."""
    return create_app(freeze_at_start=True)


def create_app(settings: Settings | None = None, *, freeze_at_start: bool = False) -> Starlette:
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
        if freeze_at_start:
            # The modules, the schema, SQLAlchemy's metadata: ~180,000 objects that live as
            # long as the process. Frozen, a full collection no longer walks them (one took
            # ~60 ms, every few hundred pricing pages: 0.25 ms a request on average).
            gc.freeze()
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
            Route("/readyz", ops.readiness_endpoint(engine, database.usage)),
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
