"""`PricingGraphQL`: Strawberry's ASGI application for /graphql. The caller comes from the
API key (401 before anything runs for an unknown one); callers with a key get
`Cache-Control: private, no-store` on every answer; anonymous requests go through
`PublicReads` (persisted documents, the public read cache)."""

from __future__ import annotations

import dataclasses
from contextvars import ContextVar
from typing import Any, Literal

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.types import ExecutionResult

from pricing_graph.api.context import Context, Database
from pricing_graph.api.limits import http_status
from pricing_graph.api.observe import answer_codes, ingest_counts, operation_name, with_tracing
from pricing_graph.api.persisted import Documents, PersistedRefusal
from pricing_graph.api.schema import schema
from pricing_graph.endpoint.public_reads import (
    PublicReads,
    catalog_version_read,
    note_cacheable,
    resolved_document,
)
from pricing_graph.http import ops
from pricing_graph.http.asgi import header, parsed_body, send_json, with_headers
from pricing_graph.http.public_cache import PRIVATE_HEADERS
from pricing_graph.services import keys
from pricing_graph.services.errors import ErrorCode
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.web import graphiql_html

NOT_AN_OBJECT = 'the body must be a JSON object such as {"query": "{ products { totalCount } }"}'
# The request's JSON body and its value while Strawberry reads it (`decode_json`).
_PARSED: ContextVar[tuple[bytes, object] | None] = ContextVar("pricing_graph_body", default=None)


class ScopedRequestAdapter(StarletteRequestAdapter):
    """Starlette's adapter, with the request's ASGI scope."""

    @property
    def scope(self) -> Scope:
        return self._request.scope


class PricingGraphQL(GraphQL[Context, None]):
    request_adapter_class = ScopedRequestAdapter

    def __init__(self, database: Database) -> None:
        # Production serves no GraphiQL page (GET /graphql for HTML answers 404).
        ide: Literal["graphiql"] | None = None if database.settings.production else "graphiql"
        # OpenTelemetry spans only when asked for (PRICING_GRAPH_OTEL=true, the otel extra).
        served = with_tracing(schema) if database.settings.otel else schema
        super().__init__(served, graphql_ide=ide)
        self.database = database
        self.documents = Documents(schema._schema, database.settings)
        self.public = PublicReads(database.settings, self.documents, database.engine)
        self.cache = self.public.cache
        self.versions = self.public.versions

    @property
    def graphql_ide_html(self) -> str:
        # GraphiQL from the package's vendored files (web/static/graphiql), not a CDN, opening
        # on the README's pricing-page query.
        return graphiql_html()

    def decode_json(self, data: str | bytes) -> object:
        parsed = _PARSED.get()
        if parsed is not None and (parsed[0] is data or parsed[0] == data):
            return parsed[1]
        # orjson refuses what json.loads lets through to a 500 later: bytes that are not
        # UTF-8, lone surrogates; both raise JSONDecodeError, which answers 400.
        return orjson.loads(data)

    def encode_json(self, data: object) -> str | bytes:
        """What Strawberry's `json.dumps(data, separators=(",", ":"))` writes, by orjson (2 us
        against 40 for the pricing page) when the answer is ASCII without DEL (json.dumps
        escapes both, orjson neither): then the bytes are the same but for a float, which only
        a JSON scalar can hold and whose exponent orjson writes without a sign or zero
        padding (1e16, not 1e+16: the same number). Anything else, and integers beyond 64
        bits, which orjson refuses: json.dumps."""
        try:
            encoded = orjson.dumps(data)
        except TypeError:
            return super().encode_json(data)
        if encoded.isascii() and b"\x7f" not in encoded:
            return encoded
        return super().encode_json(data)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> Any:
        """A JSON body is parsed once: by the anonymous path in front (`PublicReads`,
        whose value is in the scope), else here; Strawberry's own reading of it gets that
        value (`decode_json`)."""
        if request.method != "POST":
            return await super().parse_http_body(request)
        content_type, _ = parse_content_type(request.content_type or "")
        if "application/json" not in content_type:
            return await super().parse_http_body(request)
        body = await request.get_body()
        scope = request.scope if isinstance(request, ScopedRequestAdapter) else {}
        found, value = parsed_body(scope, body)
        if not found:
            value = self.parse_json(body)
        if not isinstance(value, dict | list):  # null, 42, "text": not a request
            raise HTTPException(400, NOT_AN_OBJECT)
        token = _PARSED.set((body, value))
        try:
            return await super().parse_http_body(request)
        finally:
            _PARSED.reset(token)

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
        resolved = resolved_document(scope)
        if resolved is None:  # a caller with a key: resolved here
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
            status is None
            and result.errors is None
            and result.data is not None
            and self.documents.is_query(resolved, request_data.operation_name)
        ):
            note_cacheable(scope)
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
        context = Context(self.database, actor=actor)
        version = catalog_version_read(getattr(request, "scope", {}))
        if version is not None:
            context.uow.know_catalog_version(version)
        return context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # get_context runs before the request is read or answered, so the 401 is whole.
        try:
            if scope["type"] == "http" and scope.get("method") in ("GET", "POST"):
                await self._http(scope, receive, send)
            else:
                await super().__call__(scope, receive, send)
        except Unauthenticated:
            await unauthenticated()(scope, receive, with_headers(send, PRIVATE_HEADERS))
        except Refused as refused:
            await send_json(send, refused.refusal.status, refused.refusal.body(), PRIVATE_HEADERS)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Callers with a key: `Cache-Control: private, no-store` on every answer; anonymous
        callers: the public path (docs/caching.md)."""
        authorization = header(scope, b"authorization")
        if authorization is not None and authorization.strip():
            await super().__call__(scope, receive, with_headers(send, PRIVATE_HEADERS))
            return
        await self.public(scope, receive, send, super().__call__)


class Unauthenticated(Exception):
    """The request's Authorization names no active API key."""


class Refused(Exception):
    """A persisted-document refusal, answered instead of running the operation."""

    def __init__(self, refusal: PersistedRefusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


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
