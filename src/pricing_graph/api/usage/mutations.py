"""`ingestUsage`: validate a batch of events, store the good ones in one transaction.

Customers and metrics of the whole batch are resolved with one query each; the rows go in
with one INSERT ... ON CONFLICT DO NOTHING per 1,000 events, so a replay, or the same event
sent twice at once, is stored once. Bad events are reported by index and never stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.context import Context
from pricing_graph.api.errors import ErrorCode
from pricing_graph.api.usage.inputs import UsageEventInput
from pricing_graph.api.usage.types import EventError, IngestUsagePayload
from pricing_graph.api.writes import run_write
from pricing_graph.rating.models import ZERO, Aggregation
from pricing_graph.store.catalog import MetricRow
from pricing_graph.store.contracts import CustomerRow
from pricing_graph.store.usage_repo import group_key, insert_events, unbilled_count

MAX_EVENTS_PER_CALL = 10_000
MAX_EVENT_ID_LENGTH = 200
MAX_UNIQUE_VALUE_LENGTH = 200
MAX_GROUP_KEY_LENGTH = 500
MAX_VALUE_LENGTH = 64  # characters of plain decimal text (the SQLite column's width)

_NUMBER_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


@dataclass(frozen=True, slots=True)
class _Metric:
    id: int
    key: str
    aggregation: Aggregation
    event_property: str | None
    dimensions: frozenset[str]


class _Batch:
    """Validates events one by one, collecting rows to insert and errors by index."""

    def __init__(
        self,
        customers: Mapping[str, int],
        metrics: Mapping[str, _Metric],
        *,
        now: datetime,
        latest: datetime,
    ) -> None:
        self.customers = customers
        self.metrics = metrics
        self.now = now
        self.latest = latest
        self.rows: list[dict[str, Any]] = []
        self.errors: list[EventError] = []
        self.rejected = 0
        self.duplicates = 0
        self._seen: set[tuple[int, str]] = set()

    def add(self, index: int, event: UsageEventInput) -> None:
        errors: list[EventError] = []

        def fail(field: str, code: ErrorCode, message: str) -> None:
            errors.append(
                EventError(index=index, field=f"events.{index}.{field}", code=code, message=message)
            )

        if not event.event_id or len(event.event_id) > MAX_EVENT_ID_LENGTH:
            fail(
                "eventId",
                ErrorCode.INVALID_VALUE,
                f"eventId must be 1 to {MAX_EVENT_ID_LENGTH} characters",
            )
        customer_id = self.customers.get(event.customer_id)
        if customer_id is None:
            fail(
                "customerId",
                ErrorCode.UNKNOWN_CUSTOMER,
                f"no customer with external ID {event.customer_id!r}",
            )
        metric = self.metrics.get(event.metric_key)
        if metric is None:
            fail("metricKey", ErrorCode.UNKNOWN_METRIC, f"no metric with key {event.metric_key!r}")
        occurred_at = self._timestamp(event.timestamp, fail)
        properties: Any = event.properties if event.properties is not None else {}
        if not isinstance(properties, dict):
            fail("properties", ErrorCode.INVALID_VALUE, "properties must be a JSON object")
            properties = {}
        dimensions: dict[str, str] = {}
        value: Decimal | None = None
        unique_value: str | None = None
        if metric is not None:
            dimensions = _dimensions(event, metric, fail)
            value, unique_value = _metered(event, metric, properties, fail)
        key = group_key(dimensions)
        if len(key) > MAX_GROUP_KEY_LENGTH:
            fail(
                "dimensions",
                ErrorCode.INVALID_VALUE,
                f"dimension names and values together exceed {MAX_GROUP_KEY_LENGTH} characters",
            )

        if errors or customer_id is None or metric is None or occurred_at is None:
            self.rejected += 1
            self.errors.extend(errors)
            return
        identity = (customer_id, event.event_id)
        if identity in self._seen:
            self.duplicates += 1
            return
        self._seen.add(identity)
        self.rows.append(
            {
                "customer_id": customer_id,
                "metric_id": metric.id,
                "event_id": event.event_id,
                "occurred_at": occurred_at,
                "value": value,
                "unique_value": unique_value,
                "group_key": key,
                "dimensions": dimensions,
                "properties": properties,
                "ingested_at": self.now,
            }
        )

    def _timestamp(self, timestamp: datetime, fail: Any) -> datetime | None:
        if timestamp.tzinfo is None or timestamp.utcoffset() is None:
            fail(
                "timestamp",
                ErrorCode.INVALID_VALUE,
                "timestamp needs a UTC offset, e.g. 2024-05-01T12:00:00Z",
            )
            return None
        occurred_at = timestamp.astimezone(UTC)
        if occurred_at > self.latest:
            fail(
                "timestamp",
                ErrorCode.TIMESTAMP_IN_FUTURE,
                f"timestamp {occurred_at.isoformat()} is more than "
                f"{int((self.latest - self.now).total_seconds())} seconds in the future",
            )
            return None
        return occurred_at


def _dimensions(event: UsageEventInput, metric: _Metric, fail: Any) -> dict[str, str]:
    dimensions: dict[str, str] = {}
    for position, item in enumerate(event.dimensions or ()):
        field = f"dimensions.{position}.name"
        if item.name not in metric.dimensions:
            known = ", ".join(sorted(metric.dimensions)) or "none"
            fail(
                field,
                ErrorCode.UNKNOWN_DIMENSION,
                f"metric {metric.key} has no dimension {item.name!r} (it has: {known})",
            )
        elif item.name in dimensions:
            fail(field, ErrorCode.INVALID_VALUE, f"dimension {item.name!r} is given twice")
        else:
            dimensions[item.name] = item.value
    return dimensions


def _metered(
    event: UsageEventInput, metric: _Metric, properties: Mapping[str, Any], fail: Any
) -> tuple[Decimal | None, str | None]:
    """(value, unique_value) for the row: `value` if given, else the metric's property."""
    prop = metric.event_property
    if metric.aggregation is Aggregation.COUNT:
        if event.value is not None and event.value < ZERO:
            fail("value", ErrorCode.NEGATIVE_VALUE, "usage values must be >= 0")
        return event.value, None
    if event.value is None and (prop is None or prop not in properties):
        where = f"properties.{prop}" if prop else "value"
        fail(
            "value",
            ErrorCode.MISSING_VALUE,
            f"metric {metric.key} ({metric.aggregation.value}) needs a value: give `value` "
            f"or {where}",
        )
        return None, None
    if metric.aggregation is Aggregation.UNIQUE_COUNT:
        if event.value is not None:
            return None, format(event.value, "f")
        return None, _unique_text(properties[prop], f"properties.{prop}", fail)  # type: ignore[index]
    if event.value is not None:
        number: Decimal | None = event.value
        field = "value"
    else:
        field = f"properties.{prop}"
        number = _number(properties[prop], field, fail)  # type: ignore[index]
    if number is not None and number < ZERO:
        fail(field, ErrorCode.NEGATIVE_VALUE, "usage values must be >= 0")
        return None, None
    return number, None


def _number(raw: Any, field: str, fail: Any) -> Decimal | None:
    """A JSON number or numeric string as an exact Decimal (floats via their shortest repr)."""
    text: str | None = None
    if isinstance(raw, bool) or raw is None:
        text = None
    elif isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        text = str(raw) if math.isfinite(raw) else None
    elif isinstance(raw, str) and _NUMBER_TEXT.fullmatch(raw.strip()):
        text = raw.strip()
    try:
        number = None if text is None else Decimal(text)
    except InvalidOperation:
        number = None
    if number is None:
        fail(
            field,
            ErrorCode.INVALID_VALUE,
            f'{field} must be a number or a numeric string such as "0.5", got {raw!r}'[:300],
        )
        return None
    text = format(number, "f")  # plain digits: 1e+20 is stored as 100000000000000000000
    if len(text) > MAX_VALUE_LENGTH:
        fail(field, ErrorCode.INVALID_VALUE, f"{field} has more than {MAX_VALUE_LENGTH} digits")
        return None
    return Decimal(text)


def _unique_text(raw: Any, field: str, fail: Any) -> str | None:
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    elif isinstance(raw, float) and math.isfinite(raw):
        text = format(Decimal(str(raw)), "f")
    else:
        fail(
            field,
            ErrorCode.INVALID_VALUE,
            f"{field} must be a string or a number to be counted, got {raw!r}"[:300],
        )
        return None
    if not text or len(text) > MAX_UNIQUE_VALUE_LENGTH:
        fail(
            field,
            ErrorCode.INVALID_VALUE,
            f"{field} must be 1 to {MAX_UNIQUE_VALUE_LENGTH} characters",
        )
        return None
    return text


async def _customers(session: AsyncSession, external_ids: set[str]) -> dict[str, int]:
    table = CustomerRow.__table__  # type: ignore[attr-defined]
    statement = select(table.c.external_id, table.c.id).where(table.c.external_id.in_(external_ids))
    connection = await session.connection()
    return {external_id: row_id for external_id, row_id in await connection.execute(statement)}


async def _metrics(session: AsyncSession, keys: set[str]) -> dict[str, _Metric]:
    table = MetricRow.__table__  # type: ignore[attr-defined]
    statement = select(
        table.c.id, table.c.key, table.c.aggregation, table.c.event_property, table.c.dimensions
    ).where(table.c.key.in_(keys))
    connection = await session.connection()
    return {
        key: _Metric(row_id, key, Aggregation(aggregation), prop, frozenset(dimensions))
        for row_id, key, aggregation, prop, dimensions in await connection.execute(statement)
    }


def _refused(count: int, errors: list[EventError]) -> IngestUsagePayload:
    return IngestUsagePayload(accepted=0, duplicates=0, rejected=count, unbilled=0, errors=errors)


async def ingest_events(
    context: Context,
    events: Sequence[tuple[int, UsageEventInput]],
    *,
    total: int,
    errors: Sequence[EventError] = (),
) -> IngestUsagePayload:
    """Validate and store `events` (each with its index in the request) in one transaction.

    `total` is the request's event count and `errors` the refusals its caller already made
    (events that did not parse); both transports, GraphQL and the bulk HTTP endpoint, end here.
    """
    if total > MAX_EVENTS_PER_CALL:
        return _refused(
            total,
            [
                EventError(
                    index=None,
                    field="events",
                    code=ErrorCode.BATCH_TOO_LARGE,
                    message=f"at most {MAX_EVENTS_PER_CALL} events per call, got "
                    f"{total}; split the batch (nothing was stored)",
                )
            ],
        )
    now = datetime.now(UTC)
    latest = now + timedelta(seconds=context.database.settings.usage_max_future_seconds)

    async def work(session: AsyncSession) -> IngestUsagePayload:
        batch = _Batch(
            await _customers(session, {event.customer_id for _, event in events}),
            await _metrics(session, {event.metric_key for _, event in events}),
            now=now,
            latest=latest,
        )
        for index, event in events:
            batch.add(index, event)
        inserted = await insert_events(session, batch.rows)
        unbilled = await unbilled_count(
            session,
            (
                (row["customer_id"], row["occurred_at"])
                for row in batch.rows
                if (row["customer_id"], row["event_id"]) in inserted
            ),
        )
        return IngestUsagePayload(
            accepted=len(inserted),
            duplicates=batch.duplicates + len(batch.rows) - len(inserted),
            rejected=batch.rejected + len(errors),
            unbilled=unbilled,
            errors=sorted([*errors, *batch.errors], key=lambda e: e.index or 0),
        )

    if not events:
        return _refused(total, list(errors))
    payload, refusals = await run_write(context, work)
    if payload is None:  # the database refused the batch (e.g. a customer deleted meanwhile)
        return _refused(
            total,
            [
                EventError(index=None, field="events", code=e.code, message=e.message)
                for e in refusals
            ],
        )
    return payload


@strawberry.type
class UsageMutation:
    @strawberry.mutation(
        description="Record up to 10,000 usage events. Each is stored once per (customerId, "
        "eventId), for ever; bad events are reported by index and the good ones are stored "
        "together in one transaction. For bulk loads, POST /v1/usage/events takes the same "
        "events as JSON."
    )
    async def ingest_usage(
        self, info: ContextInfo, events: list[UsageEventInput]
    ) -> IngestUsagePayload:
        return await ingest_events(info.context, list(enumerate(events)), total=len(events))
