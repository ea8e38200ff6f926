"""`POST /v1/usage/events`: the bulk ingestion endpoint (JSON in, JSON out).

The same events as `ingestUsage` (`{"events": [{"eventId", "customerId", "metricKey",
"timestamp", "value", "properties", "dimensions": [{"name", "value"}]}]}`) and the same
validation and storage (`ingest_events`), without GraphQL's per-field input coercion, which
costs more than ingestion itself for large batches (as Metronome, Orb and Lago, usage
ingestion has a plain endpoint beside the API). A field of the wrong type refuses that
event only, by index, where GraphQL would refuse the whole request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pricing_graph.api.catalog.inputs import DimensionValueInput
from pricing_graph.api.context import Context, Database
from pricing_graph.api.errors import ErrorCode
from pricing_graph.api.scalars import DecimalInputError, parse_decimal
from pricing_graph.api.usage.inputs import UsageEventInput
from pricing_graph.api.usage.mutations import ingest_events
from pricing_graph.api.usage.types import EventError, IngestUsagePayload

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


def _is_pair(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("name"), str)
        and isinstance(item.get("value"), str)
    )


def event_from_json(raw: Any) -> UsageEventInput:
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
    return UsageEventInput(
        event_id=_text(raw, "eventId"),
        customer_id=_text(raw, "customerId"),
        metric_key=_text(raw, "metricKey"),
        timestamp=timestamp,
        value=amount,
        properties=raw.get("properties"),
        dimensions=None
        if dimensions is None
        else [DimensionValueInput(name=d["name"], value=d["value"]) for d in dimensions],
    )


def _as_json(payload: IngestUsagePayload) -> dict[str, Any]:
    return {
        "accepted": payload.accepted,
        "duplicates": payload.duplicates,
        "rejected": payload.rejected,
        "unbilled": payload.unbilled,
        "errors": [
            {"index": e.index, "field": e.field, "code": e.code.value, "message": e.message}
            for e in payload.errors
        ],
    }


def _bad_request(message: str) -> Response:
    error = {"index": None, "field": "events", "code": "INVALID_VALUE", "message": message}
    return JSONResponse({"errors": [error]}, status_code=400)


def ingest_endpoint(database: Database) -> Endpoint:
    async def ingest(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _bad_request('the body must be JSON: {"events": [...]}')
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            return _bad_request('the body must be a JSON object with an "events" list')
        parsed: list[tuple[int, UsageEventInput]] = []
        refused: list[EventError] = []
        for index, raw in enumerate(events):
            try:
                parsed.append((index, event_from_json(raw)))
            except _Refused as bad:
                field = f"events.{index}" + (f".{bad.field}" if bad.field else "")
                refused.append(
                    EventError(
                        index=index, field=field, code=ErrorCode.INVALID_VALUE, message=str(bad)
                    )
                )
        context = Context(database)
        try:
            payload = await ingest_events(context, parsed, total=len(events), errors=refused)
        finally:
            await context.close()
        batch_refused = any(e.index is None for e in payload.errors)
        return JSONResponse(_as_json(payload), status_code=400 if batch_refused else 200)

    return ingest
