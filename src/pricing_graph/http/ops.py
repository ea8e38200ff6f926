"""What operators run the service with: the request log, Prometheus metrics and readiness.

- `RequestLog` (the outermost middleware) gives every request an ID (the client's
  `X-Request-ID` when it sends a usable one, else a new one), echoes it in the response's
  `X-Request-ID` header and logs one line when the request ends: method, path, GraphQL
  operation name, the caller's key id and role, status, duration and the answer's error
  codes. Every other line logged while the request runs (an unexpected exception masked by
  `PublicErrors`, a failed health check) carries the same `request_id`.
- `Metrics`: a Prometheus registry per application, served at `GET /metrics` (admin keys,
  or anyone with PRICING_GRAPH_METRICS_PUBLIC=true).
- `readiness_endpoint`: `GET /readyz`, 200 when the database answers and is migrated to
  the head revision of the code, else 503 saying what is wrong.

The JSON and text formatters are the stdlib's `logging.Formatter` (no structlog): every line
is one dict we build, and a formatter is all it takes to print it. docs/operations.md shows
the lines and the metrics.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pricing_graph.services import access, keys
from pricing_graph.services.actor import ANONYMOUS, Actor
from pricing_graph.services.errors import DomainError, ErrorCode
from pricing_graph.services.unit_of_work import Database, UnitOfWork
from pricing_graph.settings import Settings, mask_secrets
from pricing_graph.store.migrate import current_revision, head_revision
from pricing_graph.store.usage_store import UsageStore

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]

log = logging.getLogger("pricing_graph")
access_log = logging.getLogger("pricing_graph.access")

REQUEST_ID_HEADER = "X-Request-ID"
CLIENT_CLOSED = 499
_USABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=@-]{1,128}")
METRICS_OPERATION = "GET /metrics"
# Paths the rate limit never counts: the probes and the scrape.
PROBE_PATHS = ("/healthz", "/readyz", "/metrics")

# --------------------------------------------------------------------------- the request record


@dataclass
class RequestRecord:
    """What one request's log line says; the layers below fill in what they learn."""

    request_id: str
    method: str
    path: str
    operation: str | None = None  # the GraphQL operation's name (None: not GraphQL, anonymous)
    graphql: bool = False  # a GraphQL operation ran (its answer's codes are known)
    key_id: int | None = None
    role: str | None = None
    # 499 (as nginx logs it): the client went away before an answer was sent.
    status: int = CLIENT_CLOSED
    error_codes: list[str] = field(default_factory=list)
    ingested: dict[str, int] = field(default_factory=dict)


_current: ContextVar[RequestRecord | None] = ContextVar("pricing_graph_request", default=None)


def current_request() -> RequestRecord | None:
    """The record of the request being served (None outside one)."""
    return _current.get()


def note_caller(actor: Actor) -> None:
    """The caller, once an edge has identified it."""
    record = _current.get()
    if record is not None:
        record.key_id = actor.key_id
        record.role = actor.role.value


def note_graphql(operation: str | None, codes: list[str], ingested: dict[str, int]) -> None:
    """A GraphQL operation that ran: its name, its answer's error codes, usage it stored."""
    record = _current.get()
    if record is not None:
        record.graphql = True
        record.operation = operation
        record.error_codes = codes
        record.ingested = ingested


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = bytes(value).decode("latin-1").strip()
            if _USABLE_REQUEST_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


# --------------------------------------------------------------------------- metrics

MAX_OPERATION_NAMES = 100
disable_created_metrics()  # type: ignore[no-untyped-call]  # no `*_created` series: noise
_OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


class PoolCollector(Collector):
    """The engine's connection pool, read when Prometheus scrapes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterable[Metric]:
        pool: Any = self.engine.pool
        for name, documentation, read in (
            ("pricing_graph_db_pool_size", "Connections the pool keeps open.", "size"),
            ("pricing_graph_db_pool_checked_out", "Connections in use.", "checkedout"),
            ("pricing_graph_db_pool_overflow", "Connections opened beyond the size.", "overflow"),
        ):
            value = getattr(pool, read, None)
            if callable(value):  # overflow counts up from -size until the pool is full
                yield GaugeMetricFamily(name, documentation, value=float(max(0, value())))


class Metrics:
    """One registry per application (so tests, and several apps in one process, never share
    counters). Labels are bounded: GraphQL operation names beyond the first
    `MAX_OPERATION_NAMES` distinct ones count as "other", unnamed operations as "anonymous",
    other requests by their route ("POST /v1/usage/events"), unknown paths as "other"."""

    def __init__(self, engine: AsyncEngine | None = None) -> None:
        self.registry = CollectorRegistry()
        self.duration = Histogram(
            "pricing_graph_request_duration_seconds",
            "Time to answer a request, by GraphQL operation name or route.",
            ["operation"],
            registry=self.registry,
        )
        self.requests = Counter(
            "pricing_graph_requests",
            "Requests answered, by operation and HTTP status.",
            ["operation", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "pricing_graph_errors",
            "Errors in answers (GraphQL errors, payload errors, bulk endpoint errors), by code.",
            ["code"],
            registry=self.registry,
        )
        self.usage_events = Counter(
            "pricing_graph_usage_events",
            "Usage events ingested, by outcome (accepted, duplicates, rejected).",
            ["outcome"],
            registry=self.registry,
        )
        if engine is not None:
            self.registry.register(PoolCollector(engine))
        ProcessCollector(registry=self.registry)
        self._operations: set[str] = set()

    def operation_label(self, record: RequestRecord, route: str | None) -> str:
        if record.graphql:
            name = record.operation
            if name is None:
                return "anonymous"
            if not _OPERATION_NAME.fullmatch(name):
                return "other"
            if name not in self._operations:
                if len(self._operations) >= MAX_OPERATION_NAMES:
                    return "other"
                self._operations.add(name)
            return name
        return f"{record.method} {route}" if route else "other"

    def observe(self, record: RequestRecord, route: str | None, seconds: float) -> None:
        operation = self.operation_label(record, route)
        self.duration.labels(operation).observe(seconds)
        self.requests.labels(operation, str(record.status)).inc()
        for code in record.error_codes:
            self.errors.labels(code if _CODE.fullmatch(code) else "OTHER").inc()
        for outcome, count in record.ingested.items():
            if count:
                self.usage_events.labels(outcome).inc(count)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


# --------------------------------------------------------------------------- the middleware

# Answers whose codes are read from the body (the bulk endpoint, refusals before GraphQL
# runs): JSON up to this size; GraphQL answers give theirs without being read again.
MAX_READ_BODY = 4 * 1024 * 1024


def _answer(body: bytes) -> tuple[list[str], dict[str, int]]:
    """Error codes (`errors[].code` or `errors[].extensions.code`) and usage counts of a
    JSON answer."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return [], {}
    if not isinstance(parsed, dict):
        return [], {}
    codes = []
    for error in parsed.get("errors") or ():
        if isinstance(error, dict):
            extensions = error.get("extensions")
            code = error.get("code") or (
                extensions.get("code") if isinstance(extensions, dict) else None
            )
            if isinstance(code, str):
                codes.append(code)
    counts = {
        name: value
        for name in ("accepted", "duplicates", "rejected")
        if isinstance(value := parsed.get(name), int)
    }
    return codes, counts


def _level(status: int) -> int:
    if status == 503:
        return logging.WARNING  # unavailable (the database): not a bug of ours
    return logging.ERROR if status >= 500 else logging.INFO


class RequestLog:
    """The outermost middleware: request ID, one log line and the metrics per request."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record = RequestRecord(_request_id(scope), scope["method"], scope["path"])
        if not any(name == b"authorization" for name, _ in scope.get("headers", ())):
            record.role = ANONYMOUS.role.value
        token = _current.set(record)
        body = bytearray()
        reading = False
        answered = False

        async def sending(message: Message) -> None:
            nonlocal reading, answered
            if message["type"] == "http.response.start":
                answered = True
                record.status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = record.request_id
                reading = not record.graphql and "json" in headers.get("content-type", "")
            elif reading and message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                reading = len(body) <= MAX_READ_BODY
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            record.status = 500
            log.exception("unhandled exception")
            if answered:
                raise
            await Response(
                "Internal Server Error",
                status_code=500,
                headers={REQUEST_ID_HEADER: record.request_id},
            )(scope, receive, send)
        finally:
            seconds = time.perf_counter() - started
            if body and reading:
                record.error_codes, record.ingested = _answer(bytes(body))
            route = getattr(scope.get("route"), "path", None)
            try:
                if self.metrics is not None:
                    self.metrics.observe(record, route, seconds)
                self._log(record, seconds)
            finally:
                _current.reset(token)

    @staticmethod
    def _log(record: RequestRecord, seconds: float) -> None:
        level = _level(record.status)
        if not access_log.isEnabledFor(level):
            return
        fields = {
            "request_id": record.request_id,
            "method": record.method,
            "path": record.path,
            "operation": record.operation,
            "key_id": record.key_id,
            "role": record.role,
            "status": record.status,
            "duration_ms": round(seconds * 1000, 1),
            "error_codes": list(dict.fromkeys(record.error_codes)),
        }
        access_log.log(level, "request", extra={"fields": fields})


# --------------------------------------------------------------------------- log formats


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    if isinstance(fields, dict):
        return fields
    request = _current.get()
    return {"request_id": request.request_id} if request is not None else {}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's ID (or the
    request line's fields), and the traceback as `exception`; passwords in URLs masked."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_secrets(record.getMessage()),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = mask_secrets(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """`2026-01-05 10:00:00,123 INFO pricing_graph.access request request_id=... status=200`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = mask_secrets(super().format(record))
        pairs = " ".join(f"{k}={_text(v)}" for k, v in _fields(record).items())
        if not pairs:
            return line
        head, newline, rest = line.partition("\n")  # the traceback goes after the fields
        return f"{head} {pairs}{newline}{rest}"


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value)) or "-"
    return "-" if value is None else str(value)


def _numeric_level(name: str) -> int:
    return 5 if name == "trace" else logging.getLevelNamesMapping()[name.upper()]


def logging_config(settings: Settings) -> dict[str, Any]:
    """`logging.config.dictConfig` for `pricing-graph serve` (uvicorn's `log_config`): every
    logger, uvicorn's too, in the chosen format on stderr; uvicorn's access log off (the
    request line replaces it)."""
    formatter = "JsonFormatter" if settings.log_format == "json" else "TextFormatter"
    level = _numeric_level(settings.log_level)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": {"()": f"{__name__}.{formatter}"}},
        "handlers": {
            "main": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["main"], "level": level},
        "loggers": {
            "uvicorn": {"level": level},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": logging.WARNING, "propagate": False},
        },
    }


# --------------------------------------------------------------------------- endpoints


def _refusal(status: int, code: str, message: str, **headers: str) -> Response:
    error = {"index": None, "field": None, "code": code, "message": message}
    return JSONResponse({"errors": [error]}, status_code=status, headers=headers or None)


METRICS_KEY_MESSAGE = (
    "send an admin API key as `Authorization: Bearer <key>` (or set "
    "PRICING_GRAPH_METRICS_PUBLIC=true where only the scraper reaches the service)"
)


def metrics_endpoint(database: Database, metrics: Metrics) -> Endpoint:
    """`GET /metrics`: the Prometheus text exposition, for admin keys (services.access:
    "GET /metrics"), or for anyone when PRICING_GRAPH_METRICS_PUBLIC=true."""

    async def serve_metrics(request: Request) -> Response:
        if not database.settings.metrics_public:
            uow = UnitOfWork(database)
            try:
                actor = await keys.identify(uow, request.headers.get("authorization"))
            except SQLAlchemyError as failed:
                log.warning("metrics: cannot check the API key (%s)", _first_line(failed))
                return _refusal(503, "UNAVAILABLE", "the database cannot be reached")
            finally:
                await uow.close()
            if actor is None or actor == ANONYMOUS:
                return _refusal(
                    401,
                    ErrorCode.UNAUTHENTICATED.value,
                    METRICS_KEY_MESSAGE,
                    **{"WWW-Authenticate": 'Bearer realm="pricing-graph"'},
                )
            note_caller(actor)
            try:
                access.authorize(actor, METRICS_OPERATION)
            except DomainError as refused:
                return _refusal(403, ErrorCode.FORBIDDEN.value, refused.problems[0].message)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return serve_metrics


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error) or type(error).__name__
    return mask_secrets(text.splitlines()[0])


def readiness_endpoint(engine: AsyncEngine, usage: UsageStore | None = None) -> Endpoint:
    """`GET /readyz`: ready when the database answers and its migration is the code's head,
    and a ClickHouse usage store answers too (a load balancer sends traffic only then);
    `/healthz` stays the liveness check."""

    async def readyz(_request: Request) -> Response:
        head = head_revision()
        try:
            current = await current_revision(engine)
        except (SQLAlchemyError, OSError) as failed:
            reason = f"the database cannot be reached ({_first_line(failed)})"
            log.warning("not ready: %s", reason)
            return _readiness(503, "unavailable", "down", None, head, reason)
        if current != head:
            reason = (
                f"the database is at migration {current or 'none'}, the code needs {head}: "
                "run `pricing-graph migrate`"
            )
            log.warning("not ready: %s", reason)
            return _readiness(503, "not ready", "up", current, head, reason)
        if usage is not None and usage.kind != "sql":
            down = await usage.unreachable()
            if down is not None:
                log.warning("not ready: %s", mask_secrets(down))
                return _readiness(
                    503, "unavailable", "up", current, head, mask_secrets(down), usage="down"
                )
            return _readiness(200, "ready", "up", current, head, None, usage="up")
        return _readiness(200, "ready", "up", current, head, None)

    return readyz


def _readiness(
    status: int,
    state: str,
    database: str,
    current: str | None,
    head: str,
    reason: str | None,
    *,
    usage: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "status": state,
        "database": database,
        "migration": {"current": current, "head": head},
    }
    if usage is not None:  # a usage store of its own (ClickHouse): "up" or "down"
        body["usage"] = usage
    if reason is not None:
        body["reason"] = reason
    return JSONResponse(body, status_code=status)
