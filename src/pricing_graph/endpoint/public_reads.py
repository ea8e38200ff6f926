"""Anonymous GraphQL requests (docs/caching.md): persisted documents resolved, then the
public read cache: 304 for a matching If-None-Match, the kept bytes for a hit, else the
operation runs and an answer without errors is kept, under the catalog version read from
the database for this very request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pricing_graph.api.observe import operation_name
from pricing_graph.api.persisted import Documents, PersistedRefusal, Resolved
from pricing_graph.http import ops
from pricing_graph.http.asgi import (
    JSON_CONTENT_TYPE,
    graphql_payload,
    header,
    send_bytes,
    send_json,
)
from pricing_graph.http.public_cache import (
    NO_STORE_HEADERS,
    CacheKey,
    PublicCache,
    cache_key,
    etag_matches,
    public_headers,
)
from pricing_graph.services.actor import ANONYMOUS
from pricing_graph.settings import Settings
from pricing_graph.store.version_reads import CatalogVersions

# Per-request notes in the ASGI scope, from `PublicReads` to the executed operation and back.
RESOLVED = "pricing_graph.resolved"  # the persisted document resolved for an anonymous caller
CACHE_KEY = "pricing_graph.cache_key"  # the public cache key of an anonymous request
CACHEABLE = "pricing_graph.cacheable"  # its answer may be kept: a query, no errors
CATALOG_VERSION = "pricing_graph.catalog_version"  # the version read for this request


def catalog_version_read(scope: Scope) -> int | None:
    """The catalog version `PublicReads` read for this request, if it read one: the
    operation's catalog reads use it rather than read it again (an answer is kept under
    it, so they must not be older than it, and they are read after it)."""
    found = scope.get(CATALOG_VERSION)
    return found if isinstance(found, int) else None


def resolved_document(scope: Scope) -> Resolved | None:
    """The document `PublicReads` resolved for this request (None: a caller with a key)."""
    found = scope.get(RESOLVED)
    return found if isinstance(found, Resolved) else None


def note_cacheable(scope: Scope) -> None:
    """The operation ran as a query without errors: its answer may be kept (when keyed)."""
    if CACHE_KEY in scope:
        scope[CACHEABLE] = True


class PublicReads:
    """The anonymous path in front of the GraphQL application (`run`)."""

    def __init__(self, settings: Settings, documents: Documents, engine: AsyncEngine) -> None:
        self.documents = documents
        self.cache = PublicCache(settings.public_cache_entries, settings.public_cache_max_bytes)
        self.versions = CatalogVersions(engine, statement_timeout_ms=settings.statement_timeout_ms)
        self.figures = (
            settings.public_max_age_seconds,
            settings.public_stale_while_revalidate_seconds,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send, run: ASGIApp) -> None:
        payload, receive = await graphql_payload(scope, receive)
        if payload is None:  # GraphiQL's page, or a request Strawberry refuses as malformed
            await run(scope, receive, send)
            return
        found = self.documents.resolve(
            payload.get("query"), payload.get("extensions"), anonymous=True
        )
        if isinstance(found, PersistedRefusal):
            await send_json(send, found.status, found.body(), NO_STORE_HEADERS)
            return
        scope[RESOLVED] = found
        key: CacheKey | None = None
        cacheable = self.cache.enabled and found.digest is not None
        version = await self._catalog_version() if cacheable else None
        if version is not None and found.digest is not None:
            scope[CATALOG_VERSION] = version
            operation = _text(payload.get("operationName"))
            key = cache_key(
                found.digest,
                operation,
                payload.get("variables"),
                version,
                datetime.now(UTC).date().isoformat(),
            )
            scope[CACHE_KEY] = key
            if await self._answer_kept(scope, send, key, found, operation):
                return
        await run(scope, receive, self._keeping(scope, send, key))

    async def _answer_kept(
        self, scope: Scope, send: Send, key: CacheKey, found: Resolved, operation: str | None
    ) -> bool:
        """A 304 or the kept bytes, when there is one to give."""
        headers = public_headers(key.etag, *self.figures)
        # The tag is derived from the key and given only to answers without errors,
        # so a match means the client holds this very answer (kept here or not).
        if etag_matches(header(scope, b"if-none-match"), key.etag):
            ops.note_caller(ANONYMOUS)
            await send_bytes(send, 304, b"", headers)
            return True
        body = self.cache.get(key.digest)
        if body is None:
            return False
        ops.note_caller(ANONYMOUS)
        ops.note_graphql(operation_name(found.query, operation), [], {})
        await send_bytes(send, 200, body, [JSON_CONTENT_TYPE, *headers])
        return True

    async def _catalog_version(self) -> int | None:
        """Read once per request, one statement: a catalog write committed by any worker or
        host changes the very next answer (read before executing, so an answer is never
        older than the version it is kept under). None when the database cannot say (down,
        not migrated): the request then runs uncached and meets the failure itself."""
        try:
            return await self.versions.current()
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
                    public_headers(key.etag, *self.figures) if keep and key else NO_STORE_HEADERS
                )
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            elif message["type"] == "http.response.body" and keep and key is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self.cache.put(key.digest, b"".join(chunks))
            await send(message)

        return sending


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
