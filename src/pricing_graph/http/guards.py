"""ASGI middleware that meets every request before the application does.

- `RequestGuard`: per endpoint, a JSON content type (415), a body size cap (413, read
  before anything runs, never more than the cap), UTF-8 (400), optionally no NUL
  characters (400); a client that disconnects while sending is let go without an answer;
  and a time limit for the whole request (400 once it expires, also when PostgreSQL
  cancels a statement).
- `RateLimit`: a token bucket per caller (the Authorization value, else the client
  address), in this process: each worker counts its own. 429 with Retry-After.
- `SecurityHeaders`: nosniff on every response; a CSP, X-Frame-Options and Referrer-Policy
  on HTML (the GraphiQL page, the pricing-table demo page).

Refusals name a code (`pricing_graph.services.errors.ErrorCode`) and a field, in the shape
of the endpoint they guard (`graphql_errors` or `plain_errors`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pricing_graph.services.errors import ErrorCode


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    code: ErrorCode
    field: str | None
    message: str
    headers: tuple[tuple[str, str], ...] = ()


ErrorBody = Callable[[Refusal], dict[str, Any]]


def graphql_errors(refusal: Refusal) -> dict[str, Any]:
    """GraphQL over HTTP: refused before execution, so `errors` and no `data`."""
    extensions = {"code": refusal.code.value, "field": refusal.field}
    return {"errors": [{"message": refusal.message, "extensions": extensions}]}


def plain_errors(refusal: Refusal) -> dict[str, Any]:
    """The bulk endpoint's shape: a request-wide error has no event index."""
    error = {
        "index": None,
        "field": refusal.field,
        "code": refusal.code.value,
        "message": refusal.message,
    }
    return {"errors": [error]}


async def refuse(send: Send, refusal: Refusal, body: ErrorBody) -> None:
    content = json.dumps(body(refusal), separators=(",", ":")).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in refusal.headers),
    ]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What a guarded path accepts: `max_body_bytes` (named by `setting` in messages)."""

    max_body_bytes: int
    setting: str
    body: ErrorBody = plain_errors
    # Refuse what the JSON parser lets through and the database cannot store: NUL
    # characters and unpaired UTF-16 surrogates (both only as \u escapes in valid JSON).
    strict_strings: bool = False


# A JSON string escape of U+0000: an odd number of backslashes, then u0000.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class _Disconnected(Exception):
    """The client went away while sending the body."""


class RequestGuard:
    """Body checks for the `endpoints` (by path) and a time limit for every request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        endpoints: Mapping[str, Endpoint],
        time_limit_seconds: float,
        is_timeout: Callable[[BaseException], bool] = lambda _error: False,
    ) -> None:
        self.app = app
        self.endpoints = dict(endpoints)
        self.time_limit_seconds = time_limit_seconds
        self.is_timeout = is_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoints.get(scope.get("path", "")) if scope["type"] == "http" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        if scope.get("method") in _BODY_METHODS:
            try:
                body = await self._body(scope, receive, endpoint)
            except _Disconnected:
                return
            if isinstance(body, Refusal):
                await refuse(send, body, endpoint.body)
                return
            receive = _replay(body, receive)
        await self._timed(scope, receive, send, endpoint)

    async def _body(self, scope: Scope, receive: Receive, endpoint: Endpoint) -> bytes | Refusal:
        media_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return Refusal(
                415,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "content-type",
                f"send the body as JSON with Content-Type: application/json, got "
                f"{media_type or 'none'!r}",
            )
        limit = endpoint.max_body_bytes
        too_large = Refusal(
            413,
            ErrorCode.BODY_TOO_LARGE,
            "body",
            f"the body may be at most {limit} bytes ({endpoint.setting})",
        )
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            return too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as bad:
            return Refusal(
                400,
                ErrorCode.INVALID_BODY,
                "body",
                f"the body must be UTF-8 encoded JSON (invalid byte at offset {bad.start})",
            )
        if endpoint.strict_strings:
            return _strict_strings(body) or body
        return body

    async def _timed(self, scope: Scope, receive: Receive, send: Send, endpoint: Endpoint) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        limit = self.time_limit_seconds
        refusal = Refusal(
            400,
            ErrorCode.TIME_LIMIT_EXCEEDED,
            None,
            f"the request took longer than the {limit:g} s this server allows; ask for less "
            "(fewer periods, smaller pages, smaller batches)",
        )
        try:
            async with asyncio.timeout(limit):
                await self.app(scope, receive, sending)
        except TimeoutError:
            if not started:
                await refuse(send, refusal, endpoint.body)
        except Exception as error:
            if started or not self.is_timeout(error):
                raise
            await refuse(send, refusal, endpoint.body)


def _strict_strings(body: bytes) -> Refusal | None:
    if b"\\" not in body:  # no escape at all (most bodies): one memchr scan, nothing to refuse
        return None
    if b"u0000" in body.lower() and _NUL_ESCAPE.search(body):
        return Refusal(
            400,
            ErrorCode.INVALID_VALUE,
            "body",
            "strings may not contain NUL characters (\\u0000)",
        )
    if _SURROGATE_ESCAPE.search(body):  # rare: then let a strict parser decide
        try:
            orjson.loads(body)
        except orjson.JSONDecodeError as bad:
            return Refusal(
                400, ErrorCode.INVALID_BODY, "body", f"the body is not valid JSON: {bad}"
            )
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once, as read; then whatever the client sends next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class TokenBuckets:
    """`rate` requests a second per key, bursts of up to `burst`; at most `max_keys` keys
    are remembered (the least recently seen is forgotten first)."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = self.clock()
        tokens, then = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


def caller_key(scope: Scope) -> str:
    """The caller a rate limit counts: its Authorization value (hashed, never kept), else
    its address."""
    authorization = _header(scope, b"authorization")
    if authorization and authorization.strip():
        digest = hashlib.sha256(authorization.strip().encode()).hexdigest()[:32]
        return f"key:{digest}"
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


class RateLimit:
    """HTTP 429 with Retry-After once a caller exceeds its bucket; `exempt` paths (the
    health check) are never counted. A rate of 0 turns the limit off."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        per_second: float,
        burst: int,
        bodies: Mapping[str, ErrorBody],
        exempt: Iterable[str] = ("/healthz",),
        buckets: TokenBuckets | None = None,
    ) -> None:
        self.app = app
        self.buckets = buckets or TokenBuckets(per_second, burst)
        self.enabled = per_second > 0
        self.bodies = dict(bodies)
        self.exempt = frozenset(exempt)
        self.per_second = per_second
        self.burst = burst

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.enabled and scope["type"] == "http" and scope.get("path") not in self.exempt:
            wait = self.buckets.take(caller_key(scope))
            if wait > 0:
                retry = max(1, math.ceil(wait))
                refusal = Refusal(
                    429,
                    ErrorCode.RATE_LIMITED,
                    None,
                    f"too many requests: at most {self.per_second:g} a second (bursts of "
                    f"{self.burst}) per API key, or per address without one; retry in "
                    f"{retry} s",
                    headers=(("Retry-After", str(retry)),),
                )
                body = self.bodies.get(scope.get("path", ""), plain_errors)
                await refuse(send, refusal, body)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """`always` headers on every response, `html` headers too on text/html ones."""

    def __init__(self, app: ASGIApp, *, always: Mapping[str, str], html: Mapping[str, str]) -> None:
        self.app = app
        self.always = [(k.lower().encode(), v.encode()) for k, v in always.items()]
        self.html = [(k.lower().encode(), v.encode()) for k, v in html.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {bytes(name).lower() for name, _ in headers}
                media_type = next(
                    (bytes(v).lower() for k, v in headers if bytes(k).lower() == b"content-type"),
                    b"",
                )
                extra = self.always + (self.html if media_type.startswith(b"text/html") else [])
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def graphiql_csp(html: str) -> str:
    """A Content-Security-Policy that lets this server's HTML pages run and nothing else:
    the GraphiQL page (its inline scripts by hash, its vendored scripts and styles from this
    origin, fonts as data URIs) and the pricing-table demo page (/embed/pricing-table.js);
    requests to this origin only; no framing."""
    inline = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in inline
    )
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {hashes}".strip(),
            # GraphiQL (CodeMirror) and the demo page set inline styles.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}


def html_headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }
