"""`POST /v1/usage/events`: the bulk ingestion endpoint (JSON in, JSON out).

The same events as `ingestUsage` (`{"events": [{"eventId", "customerId", "metricKey",
"timestamp", "value", "properties", "dimensions": [{"name", "value"}]}]}`) and the same
validation and storage (`services.usage.ingest_json`: well-formed good events straight to
their rows, any other read here by `_parsed` and checked as `ingest_events` checks it),
without GraphQL's per-field input coercion, which costs more than ingestion itself for
large batches (as Metronome, Orb and Lago, usage ingestion has a plain endpoint beside the
API). A field of the wrong type refuses that event only, by index, where GraphQL would
refuse the whole request.

It needs an API key (`Authorization: Bearer <key>`): without one, or with a key that is
unknown, revoked or malformed, it answers 401 UNAUTHENTICATED; a key whose role may not
ingest (services.access: sales) answers 403 FORBIDDEN; both before the body is parsed. A
partner key stores events only for the customers it owns (others: UNKNOWN_CUSTOMER).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pricing_graph.http import ops
from pricing_graph.services import access, keys, usage
from pricing_graph.services.actor import ANONYMOUS
from pricing_graph.services.decimals import DecimalInputError, parse_decimal
from pricing_graph.services.errors import DomainError, ErrorCode
from pricing_graph.services.unit_of_work import Database, UnitOfWork
from pricing_graph.services.usage import EventDimension, EventProblem, IngestResult, UsageEvent

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class _Refused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _text(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str):
        raise _Refused(name, f"{name} must be a string")
    return value


def event_from_json(raw: Any) -> UsageEvent:
    """One event of the request body; `_Refused` names the field of the wrong type."""
    if not isinstance(raw, dict):
        raise _Refused("", "each event must be a JSON object")
    stamp = _text(raw, "timestamp")
    try:
        timestamp = datetime.fromisoformat(stamp)
    except ValueError:
        raise _Refused("timestamp", f"{stamp!r} is not an ISO 8601 timestamp") from None
    value = raw.get("value")
    try:
        amount = None if value is None else parse_decimal(value)
    except DecimalInputError as bad:
        raise _Refused("value", str(bad)) from None
    dimensions = raw.get("dimensions")
    if dimensions is not None and not (
        isinstance(dimensions, list)
        and all(
            isinstance(d, dict)
            and isinstance(d.get("name"), str)
            and isinstance(d.get("value"), str)
            for d in dimensions
        )
    ):
        raise _Refused("dimensions", 'dimensions must be a list of {"name", "value"} strings')
    return UsageEvent(
        event_id=_text(raw, "eventId"),
        customer_id=_text(raw, "customerId"),
        metric_key=_text(raw, "metricKey"),
        timestamp=timestamp,
        value=amount,
        properties=raw.get("properties"),
        dimensions=None
        if dimensions is None
        else tuple(EventDimension(name=d["name"], value=d["value"]) for d in dimensions),
    )


def _parsed(index: int, raw: Any) -> UsageEvent | EventProblem:
    """An event the service's fast path did not take, read field by field (or refused)."""
    try:
        return event_from_json(raw)
    except _Refused as bad:
        field = f"events.{index}" + (f".{bad.field}" if bad.field else "")
        return EventProblem(
            index=index, field=field, code=ErrorCode.INVALID_VALUE, message=str(bad)
        )


def _loads(body: bytes) -> Any:
    """The body as JSON: orjson (twice as fast), or the standard library for what orjson
    refuses and it reads (integers past 64 bits, NaN), so both read the same documents."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _as_json(result: IngestResult) -> dict[str, Any]:
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "rejected": result.rejected,
        "unbilled": result.unbilled,
        "errors": [
            {"index": p.index, "field": p.field, "code": p.code.value, "message": p.message}
            for p in result.problems
        ],
        "overLimit": [
            {
                "index": o.index,
                "customerId": o.customer_id,
                "metricKey": o.metric_key,
                "limit": format(o.limit, "f"),
                "used": format(o.used, "f"),
            }
            for o in result.over_limit
        ],
    }


def _bad_request(message: str) -> Response:
    error = {"index": None, "field": "events", "code": "INVALID_VALUE", "message": message}
    return JSONResponse({"errors": [error]}, status_code=400)


OPERATION = "POST /v1/usage/events"
UNAUTHENTICATED_MESSAGE = (
    "send an API key that may ingest usage (admin, or partner for its own customers) as "
    "`Authorization: Bearer <key>`; this one is missing, unknown, revoked or malformed"
)


def _unauthenticated() -> Response:
    error = {
        "index": None,
        "field": None,
        "code": ErrorCode.UNAUTHENTICATED.value,
        "message": UNAUTHENTICATED_MESSAGE,
    }
    return JSONResponse(
        {"errors": [error]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="pricing-graph"'},
    )


def _forbidden(refused: DomainError) -> Response:
    errors = [
        {"index": None, "field": p.field, "code": p.code.value, "message": p.message}
        for p in refused.problems
    ]
    return JSONResponse({"errors": errors}, status_code=403)


def ingest_endpoint(database: Database) -> Endpoint:
    async def ingest(request: Request) -> Response:
        uow = UnitOfWork(database)
        try:
            actor = await keys.identify(uow, request.headers.get("authorization"))
            if actor is None or actor == ANONYMOUS:  # no key, or not an active one
                return _unauthenticated()
            ops.note_caller(actor)  # the request log names who ingested
            try:
                access.authorize(actor, OPERATION)  # before the body is even parsed
            except DomainError as refused:
                return _forbidden(refused)
            try:
                body = _loads(await request.body())
            except ValueError:
                return _bad_request('the body must be JSON: {"events": [...]}')
            events = body.get("events") if isinstance(body, dict) else None
            if not isinstance(events, list):
                return _bad_request('the body must be a JSON object with an "events" list')
            try:
                result = await usage.ingest_json(
                    uow, actor, events, read=_parsed, operation=OPERATION
                )
            except DomainError as refused:
                return _forbidden(refused)
        finally:
            await uow.close()
        return JSONResponse(_as_json(result), status_code=400 if result.batch_refused else 200)

    return ingest
