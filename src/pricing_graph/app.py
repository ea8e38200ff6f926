"""The ASGI application: GraphQL (with GraphiQL) at /graphql and a health check at /healthz."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.api.usage.http import ingest_endpoint
from pricing_graph.settings import Settings
from pricing_graph.store.engine import make_engine, make_session_factory

log = logging.getLogger("pricing_graph")


class PricingGraphQL(GraphQL[Context, None]):
    def __init__(self, database: Database) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.database = database

    async def get_context(self, request: Any, response: Any = None) -> Context:
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header.lower().startswith("bearer ") else ""
        return Context(self.database, self.database.settings.api_keys.get(key, frozenset()))


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
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
    return Starlette(
        routes=[
            Route("/", root),
            Route("/healthz", healthz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/v1/usage/events", ingest_endpoint(database), methods=["POST"]),
        ],
        lifespan=lifespan,
    )
