"""Usage ingestion: validate a batch of events, store the good ones in one transaction.

Every edge ends here: the `ingestUsage` mutation, the bulk endpoint `POST /v1/usage/events`
(through `ingest_json`, a fast path for well-formed events) and the demo seeder. Customers
and metrics of the whole batch are resolved with one query; the rows go in with one
INSERT ... ON CONFLICT DO NOTHING (on PostgreSQL one per batch, on generic plans:
store/plans.py), so a replay, or the same event sent twice at once, is stored once. Bad
events are reported by index and never stored; the rest of the batch is stored all the
same.

An event is identified by (customer, eventId) for ever. A replay with the same payload
(metric, timestamp, value, dimensions, properties) is a duplicate; with a different one it
is refused as EVENT_ID_REUSED, never silently dropped: the events that hit a stored one are
compared with it in one more statement, so a fresh batch costs nothing extra.

Access (services.access): an admin ingests for any customer; a partner only for the
customers it owns: another partner's customer is UNKNOWN_CUSTOMER, exactly as a missing
one. A batch that stores anything records one audit event (`UsageBatch`, the customers'
ids, the counts).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating.models import ZERO, Aggregation
from pricing_graph.services import access, audit
from pricing_graph.services.actor import Actor
from pricing_graph.services.decimals import MAX_DECIMAL_PLACES
from pricing_graph.services.entitlements import OverLimit, over_hard_limits
from pricing_graph.services.errors import DomainError, ErrorCode
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.store import plans
from pricing_graph.store.usage_repo import (
    EventMetric,
    StoredEvent,
    batch_lookups,
    group_key,
    unbilled_and_in_force,
)
from pricing_graph.store.usage_store import UsageStore

MAX_EVENTS_PER_CALL = 10_000
MAX_EVENT_ID_LENGTH = 200
MAX_UNIQUE_VALUE_LENGTH = 200
MAX_GROUP_KEY_LENGTH = 500
MAX_VALUE_LENGTH = 64  # characters of plain decimal text (the SQLite column's width)
# An event's properties as JSON (Segment's limit for a whole event): what is metered fits
# many times over; a document does not belong in a usage event.
MAX_PROPERTIES_BYTES = 32 * 1024

_NUMBER_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
# A value string parse_decimal takes as it is and that is not negative: the fast path's.
_MAX_INTEGER_DIGITS = 21
_PLAIN_DECIMAL = re.compile(
    rf"(?:0|[1-9][0-9]{{0,{_MAX_INTEGER_DIGITS - 1}}})(?:\.[0-9]{{1,{MAX_DECIMAL_PLACES}}})?"
)
# Aggregations whose row keeps a given value as it is (not negative: no check needed).
_VALUE_AS_IS = frozenset(
    {Aggregation.SUM, Aggregation.MAX, Aggregation.LATEST, Aggregation.WEIGHTED_SUM}
)


# --------------------------------------------------------------------------- inputs and results


@dataclass(frozen=True, slots=True)
class EventDimension:
    """One dimension value of an event, e.g. model = "gpt-4"."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class UsageEvent:
    """One metered event; (customer_id, event_id) identifies it for ever.

    `customer_id` is the customer's external ID. `value` is the metered value; when None,
    the metric's event property is read from `properties` (COUNT metrics need neither).
    `properties` is stored as given; anything but a JSON object (dict) is refused.
    """

    event_id: str
    customer_id: str
    metric_key: str
    timestamp: datetime
    value: Decimal | None = None
    properties: Any = None
    dimensions: tuple[EventDimension, ...] | None = None


@dataclass(frozen=True, slots=True)
class EventProblem:
    """Why one event (`index`), or the whole batch (`index` None), was refused. `field` is
    the dotted input path, e.g. "events.3.metricKey" (None: the request as a whole, e.g.
    FORBIDDEN)."""

    index: int | None
    field: str | None
    code: ErrorCode
    message: str


@dataclass(frozen=True, slots=True)
class IngestResult:
    """Every event is counted once: accepted, duplicate or rejected. `unbilled` counts the
    accepted events no contract of their customer covers (stored anyway)."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    unbilled: int = 0
    problems: tuple[EventProblem, ...] = ()
    # accepted events past a HARD limit this period (stored all the same: usage is a fact)
    over_limit: tuple[OverLimit, ...] = ()

    @property
    def batch_refused(self) -> bool:
        """True when the batch as a whole was refused (nothing was stored)."""
        return any(p.index is None for p in self.problems)


# --------------------------------------------------------------------------- the operation


INGEST_OPERATIONS = ("ingestUsage", "POST /v1/usage/events")


def _admitted(actor: Actor, operation: str, total: int) -> tuple[access.Rule, IngestResult | None]:
    """The caller's rule for `operation` (DomainError FORBIDDEN when it has none), and the
    batch's refusal when it is too large."""
    assert operation in INGEST_OPERATIONS
    return access.authorize(actor, operation), _too_large(total)


def _too_large(total: int) -> IngestResult | None:
    if total <= MAX_EVENTS_PER_CALL:
        return None
    return _refused(
        total,
        [
            EventProblem(
                index=None,
                field="events",
                code=ErrorCode.BATCH_TOO_LARGE,
                message=f"at most {MAX_EVENTS_PER_CALL} events per call, got "
                f"{total}; split the batch (nothing was stored)",
            )
        ],
    )


async def ingest_events(
    uow: UnitOfWork,
    actor: Actor,
    events: Sequence[UsageEvent | EventProblem],
    *,
    operation: str = "ingestUsage",
) -> IngestResult:
    """Validate and store `events` in one transaction; an event's index is its position.

    An item may be, instead of an event, the `EventProblem` its edge found while reading it
    (the bulk endpoint parses JSON itself): it counts as rejected, with that problem.
    Refuses the whole batch (nothing stored, every event rejected) when it holds more than
    `MAX_EVENTS_PER_CALL` items, or when the database refuses the write. `operation` is
    the edge's name in the access policy; a caller it denies gets DomainError FORBIDDEN.
    """
    total = len(events)
    rule, refused = _admitted(actor, operation, total)
    if refused is not None:
        return refused
    if not any(isinstance(item, UsageEvent) for item in events):
        return _refused(total, [item for item in events if isinstance(item, EventProblem)])
    given = [item for item in events if isinstance(item, UsageEvent)]

    def fill(batch: _Batch) -> None:
        for index, item in enumerate(events):
            batch.take(index, item)

    return await _ingest(
        uow,
        actor,
        rule,
        total,
        _texts(e.customer_id for e in given),
        _texts(e.metric_key for e in given),
        fill,
        operation,
    )


async def ingest_json(
    uow: UnitOfWork,
    actor: Actor,
    objects: Sequence[Any],
    *,
    read: Callable[[int, Any], UsageEvent | EventProblem],
    operation: str = "POST /v1/usage/events",
) -> IngestResult:
    """`ingest_events` for events as the JSON objects of the bulk wire format (`eventId`,
    `customerId`, `metricKey`, `timestamp`, `value`, `properties`, `dimensions`), as the
    bulk endpoint parsed them: the same checks, answers and rows.

    An object whose fields all have their types and that passes every check (most of a
    batch) goes straight to its row, without an event object or the checks that collect
    problems; any other is turned into a `UsageEvent` or an `EventProblem` by the edge's
    `read(index, object)` and checked the full way, so its errors are the same, by index,
    field and code.
    """
    total = len(objects)
    rule, refused = _admitted(actor, operation, total)
    if refused is not None:
        return refused
    customers: set[str] = set()
    metrics: set[str] = set()
    for raw in objects:
        if type(raw) is dict:
            external, key = raw.get("customerId"), raw.get("metricKey")
            if type(external) is str and NUL not in external:
                customers.add(external)
            if type(key) is str and NUL not in key:
                metrics.add(key)
    if not customers or not metrics:  # no object can be an event: nothing to look up
        return await ingest_events(
            uow,
            actor,
            [read(index, raw) for index, raw in enumerate(objects)],
            operation=operation,
        )

    def fill(batch: _Batch) -> None:
        add_json = batch.add_json
        for index, raw in enumerate(objects):
            if not add_json(index, raw):
                batch.take(index, read(index, raw))

    return await _ingest(uow, actor, rule, total, customers, metrics, fill, operation)


async def _ingest(
    uow: UnitOfWork,
    actor: Actor,
    rule: access.Rule,
    total: int,
    external_ids: set[str],
    metric_keys: set[str],
    fill: Callable[[_Batch], None],
    operation: str,
) -> IngestResult:
    """The lookups, `fill` checking every event into the batch's rows and problems, the
    insert and what follows it, in one transaction."""
    now = datetime.now(UTC)
    latest = now + timedelta(seconds=uow.settings.usage_max_future_seconds)

    store = uow.database.usage

    async def work(session: AsyncSession) -> IngestResult:
        # every statement of the batch once planned per connection, until the hard-limit
        # check aggregates usage (store/plans.py)
        await plans.generic_plans(session)
        # the customers the caller may send usage for: all, or a partner's own (a partner
        # key without a partner owns none); and the metrics
        customers, metrics = await batch_lookups(
            session,
            external_ids,
            metric_keys,
            customers=rule is access.ALL or actor.partner is not None,
            partner_owner=None if rule is access.ALL else actor.partner,
        )
        batch = _Batch(
            customers,
            metrics,
            now=now,
            latest=latest,
            # The setting, once settings.py has it; the default until then.
            max_properties_bytes=uow.settings.usage_max_properties_bytes,
            store=store,
        )
        fill(batch)
        inserted = await store.insert_events(session, batch.rows)
        stored_rows: list[dict[str, Any]] = batch.rows
        stored_indexes = batch.indexes
        conflicted: list[int] = []
        if len(inserted) < len(batch.rows):  # else every row was stored: a fresh batch
            stored_rows, stored_indexes = [], []
            for position, (index, row) in enumerate(zip(batch.indexes, batch.rows, strict=True)):
                if (row["customer_id"], row["event_id"]) in inserted:
                    stored_rows.append(row)
                    stored_indexes.append(index)
                else:
                    conflicted.append(position)
        if conflicted:
            batch.compare_stored(
                conflicted,
                await store.stored_events(
                    session,
                    {(batch.rows[p]["customer_id"], batch.rows[p]["event_id"]) for p in conflicted},
                ),
            )
        today = now.date()
        unbilled, in_force = await unbilled_and_in_force(
            session, ((row["customer_id"], row["occurred_at"]) for row in stored_rows), today
        )
        over_limit = (
            await over_hard_limits(
                session,
                store,
                list(zip(stored_indexes, stored_rows, strict=True)),
                {db: external for external, db in batch.customers.items()},
                today=today,
            )
            if in_force
            else ()  # no contract of the batch's customers in force today: no HARD limit
        )
        result = IngestResult(
            accepted=len(inserted),
            duplicates=batch.duplicates + len(conflicted) - batch.reused,
            rejected=batch.rejected,
            unbilled=unbilled,
            problems=tuple(sorted(batch.problems, key=lambda p: p.index or 0)),
            over_limit=over_limit,
        )
        if inserted:
            await audit.record_now(
                session,
                actor,
                operation,
                object_type="UsageBatch",
                object_ids=sorted({customer_id for customer_id, _ in inserted}),
                given={
                    "events": total,
                    "accepted": result.accepted,
                    "duplicates": result.duplicates,
                    "rejected": result.rejected,
                    "unbilled": result.unbilled,
                },
            )
        return result

    try:
        return await uow.run(work)
    except DomainError as refused:  # the database refused the batch (a customer deleted meanwhile)
        return _refused(
            total,
            [
                EventProblem(index=None, field="events", code=p.code, message=p.message)
                for p in refused.problems
            ],
        )


NUL = "\x00"
NUL_MESSAGE = "must not contain NUL characters"


def _texts(values: Iterable[str]) -> set[str]:
    """The distinct values to look up; one with a NUL character (which no stored key has,
    and PostgreSQL refuses to compare) is refused by its event instead."""
    return {value for value in values if NUL not in value}


def refused_batch(count: int, refused: DomainError) -> IngestResult:
    """A batch the caller may not send (FORBIDDEN): every event rejected, nothing stored."""
    return _refused(
        count,
        [
            EventProblem(index=None, field=p.field, code=p.code, message=p.message)
            for p in refused.problems
        ],
    )


def _refused(count: int, problems: Sequence[EventProblem]) -> IngestResult:
    return IngestResult(rejected=count, problems=tuple(problems))


# --------------------------------------------------------------------------- validation

Fail = Callable[[str, ErrorCode, str], None]


class _Batch:
    """Validates events one by one, collecting rows to insert and problems by index."""

    def __init__(
        self,
        customers: Mapping[str, int],
        metrics: Mapping[str, EventMetric],
        *,
        now: datetime,
        latest: datetime,
        max_properties_bytes: int = MAX_PROPERTIES_BYTES,
        store: UsageStore | None = None,
    ) -> None:
        self.max_properties_bytes = max_properties_bytes
        self.store = store
        self.customers = customers
        self.metrics = metrics
        self.now = now
        self.latest = latest
        self.rows: list[dict[str, Any]] = []
        self.problems: list[EventProblem] = []
        self.rejected = 0
        self.duplicates = 0
        self.reused = 0  # rows whose stored event has another payload (EVENT_ID_REUSED)
        self.indexes: list[int] = []  # the event index of each row
        self._seen: dict[tuple[int, str], dict[str, Any]] = {}
        self._group_keys: dict[tuple[str, str], str] = {}

    def refuse(self, found: EventProblem) -> None:
        self.rejected += 1
        self.problems.append(found)

    def take(self, index: int, item: UsageEvent | EventProblem) -> None:
        """An event, or the problem its edge found reading it."""
        if isinstance(item, UsageEvent):
            self.add(index, item)
        else:
            self.refuse(item)

    def add(self, index: int, event: UsageEvent) -> None:
        row = self._clean_row(event)
        if row is None:
            row = self._checked_row(index, event)
            if row is None:
                return
        self._keep(index, row)

    def add_json(self, index: int, raw: Any) -> bool:
        """The row of one JSON object of the bulk wire format when every field has its
        type and passes every check, with as little work per event as possible (a batch is
        mostly such events): kept as `add` keeps it, and True. False, having kept nothing,
        for anything else: the caller reads the object field by field, then `add`s or
        `refuse`s it, and the full checks name the problems."""
        if type(raw) is not dict:
            return False
        get = raw.get
        event_id = get("eventId")
        stamp = get("timestamp")
        external = get("customerId")
        metric_key = get("metricKey")
        if (
            type(event_id) is not str
            or type(stamp) is not str
            or type(external) is not str
            or type(metric_key) is not str
        ):
            return False
        known = self._known(external, metric_key, event_id)
        if known is None:
            return False
        customer_id, metric = known
        try:
            timestamp = datetime.fromisoformat(stamp)
        except ValueError:
            return False
        if timestamp.tzinfo is UTC:  # "Z" or "+00:00": most timestamps
            occurred_at = timestamp
        elif timestamp.utcoffset() is None:
            return False
        else:
            occurred_at = timestamp.astimezone(UTC)
        if occurred_at > self.latest:
            return False
        value = get("value")
        given: Decimal | None = None
        if value is not None:
            # what parse_decimal reads, without sign or spaces: the rest takes the full way
            if type(value) is not str:
                return False
            if (
                not (  # a plain integer (most values), as _PLAIN_DECIMAL reads it, else that
                    value.isascii()
                    and value.isdigit()
                    and len(value) <= _MAX_INTEGER_DIGITS
                    and (value[0] != "0" or len(value) == 1)
                )
                and _PLAIN_DECIMAL.fullmatch(value) is None
            ):
                return False
            given = Decimal(value)
        properties = self._clean_properties(get("properties"))
        if properties is None:
            return False
        listed = get("dimensions")
        dimensions: dict[str, str]
        if not listed:
            if listed is not None and type(listed) is not list:
                return False
            dimensions, key = {}, ""
        elif type(listed) is not list:
            return False
        else:
            dimensions = {}
            for item in listed:
                if type(item) is not dict:
                    return False
                name, text = item.get("name"), item.get("value")
                if (
                    type(name) is not str
                    or type(text) is not str
                    or name not in metric.dimensions
                    or name in dimensions
                ):
                    return False
                dimensions[name] = text
            if len(dimensions) == 1:  # a batch has few groups: each key built once
                [pair] = dimensions.items()
                found = self._group_keys.get(pair)
                if found is None:
                    found = self._group_keys[pair] = group_key(dimensions)
                key = found
            else:
                key = group_key(dimensions)
            if len(key) > MAX_GROUP_KEY_LENGTH:
                return False
        if given is not None and metric.aggregation in _VALUE_AS_IS:
            amount: Decimal | None = given  # not negative: _PLAIN_DECIMAL has no sign
            unique_value: str | None = None
        else:
            try:
                amount, unique_value = _metered(given, metric, properties, _unclean)
            except _Unclean:
                return False
        if self.store is not None and self.store.refusal(amount, occurred_at) is not None:
            return False
        self._keep(
            index,
            self._row(
                customer_id,
                metric,
                event_id,
                occurred_at,
                amount,
                unique_value,
                key,
                dimensions,
                properties,
            ),
        )
        return True

    def _keep(self, index: int, row: dict[str, Any]) -> None:
        """A checked row: stored, unless its (customer, eventId) came earlier in the batch
        (a duplicate with the same payload, else EVENT_ID_REUSED)."""
        identity = (row["customer_id"], row["event_id"])
        earlier = self._seen.get(identity)
        if earlier is not None:
            if _same_payload(earlier, row):
                self.duplicates += 1
            else:
                self.rejected += 1
                self.problems.append(_reused(index, row["event_id"], "earlier in this batch"))
            return
        self._seen[identity] = row
        self.rows.append(row)
        self.indexes.append(index)

    def _clean_row(self, event: UsageEvent) -> dict[str, Any] | None:
        """The row of an event that passes every check, found with as little work as
        possible (most events of a batch are good); None when anything is off, and then
        `_checked_row` runs every check again and names the problems."""
        event_id = event.event_id
        known = self._known(event.customer_id, event.metric_key, event_id)
        timestamp = event.timestamp
        if known is None or timestamp.utcoffset() is None:
            return None
        customer_id, metric = known
        occurred_at = timestamp.astimezone(UTC)
        if occurred_at > self.latest:
            return None
        properties = self._clean_properties(event.properties)
        if properties is None:
            return None
        try:
            dimensions = _dimensions(event, metric, _unclean)
            value, unique_value = _metered(event.value, metric, properties, _unclean)
        except _Unclean:
            return None
        if self.store is not None and self.store.refusal(value, occurred_at) is not None:
            return None
        key = group_key(dimensions)
        if len(key) > MAX_GROUP_KEY_LENGTH:
            return None
        return self._row(
            customer_id,
            metric,
            event_id,
            occurred_at,
            value,
            unique_value,
            key,
            dimensions,
            properties,
        )

    def _known(
        self, external: str, metric_key: str, event_id: str
    ) -> tuple[int, EventMetric] | None:
        """For the fast paths: the customer's id and the metric, when both are known and the
        event ID passes; else None (the full checks then name the problem)."""
        customer_id = self.customers.get(external)  # found keys hold no NUL
        metric = self.metrics.get(metric_key)
        if (
            customer_id is None
            or metric is None
            or not event_id
            or len(event_id) > MAX_EVENT_ID_LENGTH
            or NUL in event_id
        ):
            return None
        return customer_id, metric

    def _clean_properties(self, properties: Any) -> dict[str, Any] | None:
        """For the fast paths: the properties (none given: {}) when they pass, else None."""
        if properties is None:
            return {}
        if type(properties) is not dict or (
            properties and _json_size(properties) > self.max_properties_bytes
        ):
            return None
        return properties

    def _checked_row(self, index: int, event: UsageEvent) -> dict[str, Any] | None:
        """Every check, each failure an EventProblem; the row when there are none."""
        problems: list[EventProblem] = []

        def fail(field: str, code: ErrorCode, message: str) -> None:
            problems.append(
                EventProblem(
                    index=index, field=f"events.{index}.{field}", code=code, message=message
                )
            )

        if not event.event_id or len(event.event_id) > MAX_EVENT_ID_LENGTH:
            fail(
                "eventId",
                ErrorCode.INVALID_VALUE,
                f"eventId must be 1 to {MAX_EVENT_ID_LENGTH} characters",
            )
        elif NUL in event.event_id:
            fail("eventId", ErrorCode.INVALID_VALUE, NUL_MESSAGE)
        customer_id = self.customers.get(event.customer_id)
        if NUL in event.customer_id:
            fail("customerId", ErrorCode.INVALID_VALUE, NUL_MESSAGE)
        elif customer_id is None:
            fail(
                "customerId",
                ErrorCode.UNKNOWN_CUSTOMER,
                f"no customer with external ID {event.customer_id!r}",
            )
        metric = self.metrics.get(event.metric_key)
        if NUL in event.metric_key:
            fail("metricKey", ErrorCode.INVALID_VALUE, NUL_MESSAGE)
        elif metric is None:
            fail("metricKey", ErrorCode.UNKNOWN_METRIC, f"no metric with key {event.metric_key!r}")
        occurred_at = self._timestamp(event.timestamp, fail)
        properties: Any = event.properties if event.properties is not None else {}
        if not isinstance(properties, dict):
            fail("properties", ErrorCode.INVALID_VALUE, "properties must be a JSON object")
            properties = {}
        elif properties and _json_size(properties) > self.max_properties_bytes:
            fail(
                "properties",
                ErrorCode.INVALID_VALUE,
                f"properties take at most {self.max_properties_bytes} bytes of JSON "
                "(PRICING_GRAPH_USAGE_MAX_PROPERTIES_BYTES); send the metered values, not "
                "documents",
            )
            properties = {}
        dimensions: dict[str, str] = {}
        value: Decimal | None = None
        unique_value: str | None = None
        if metric is not None:
            dimensions = _dimensions(event, metric, fail)
            value, unique_value = _metered(event.value, metric, properties, fail)
        key = group_key(dimensions)
        if len(key) > MAX_GROUP_KEY_LENGTH:
            fail(
                "dimensions",
                ErrorCode.INVALID_VALUE,
                f"dimension names and values together exceed {MAX_GROUP_KEY_LENGTH} characters",
            )

        if not problems and occurred_at is not None and self.store is not None:
            # What the usage store cannot keep exactly (ClickHouse: Decimal128(12)).
            limit = self.store.refusal(value, occurred_at)
            if limit is not None:
                field, message = limit
                if field == "value" and event.value is None and metric is not None:
                    field = f"properties.{metric.event_property}"
                fail(field, ErrorCode.INVALID_VALUE, message)
        if problems or customer_id is None or metric is None or occurred_at is None:
            self.rejected += 1
            self.problems.extend(problems)
            return None
        return self._row(
            customer_id,
            metric,
            event.event_id,
            occurred_at,
            value,
            unique_value,
            key,
            dimensions,
            properties,
        )

    def _row(
        self,
        customer_id: int,
        metric: EventMetric,
        event_id: str,
        occurred_at: datetime,
        value: Decimal | None,
        unique_value: str | None,
        key: str,
        dimensions: dict[str, str],
        properties: Any,
    ) -> dict[str, Any]:
        """The stored row of a checked event (the columns of `usage_event`)."""
        return {
            "customer_id": customer_id,
            "metric_id": metric.id,
            "event_id": event_id,
            "occurred_at": occurred_at,
            "value": value,
            "unique_value": unique_value,
            "group_key": key,
            "dimensions": dimensions,
            "properties": properties,
            "ingested_at": self.now,
        }

    def compare_stored(
        self, positions: Sequence[int], stored: Mapping[tuple[int, str], StoredEvent]
    ) -> None:
        """Rows the database already held: a duplicate when the stored payload is the same,
        else EVENT_ID_REUSED (rejected)."""
        for position in positions:
            row = self.rows[position]
            found = stored.get((row["customer_id"], row["event_id"]))
            if found is None or _same_payload(_as_row(found), row):
                continue  # gone meanwhile (deleted with its customer), or a true replay
            self.reused += 1
            self.rejected += 1
            self.problems.append(_reused(self.indexes[position], row["event_id"], "already stored"))

    def _timestamp(self, timestamp: datetime, fail: Fail) -> datetime | None:
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


class _Unclean(Exception):
    """An event the fast path leaves to the full checks."""


def _unclean(field: str, code: ErrorCode, message: str) -> None:
    raise _Unclean


def _json_size(properties: Mapping[str, Any]) -> int:
    """Bytes of the properties as stored (compact JSON); anything JSON cannot say counts
    as too large."""
    try:
        return len(orjson.dumps(properties))  # the engine's JSON serializer
    except TypeError:
        return sys.maxsize


_PAYLOAD = ("metric_id", "occurred_at", "value", "unique_value", "group_key", "properties")


def _same_payload(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    return all(first[name] == second[name] for name in _PAYLOAD)


def _as_row(stored: StoredEvent) -> dict[str, Any]:
    return {name: getattr(stored, name) for name in _PAYLOAD}


def _reused(index: int, event_id: str, where: str) -> EventProblem:
    return EventProblem(
        index=index,
        field=f"events.{index}.eventId",
        code=ErrorCode.EVENT_ID_REUSED,
        message=f"eventId {event_id!r} was {where} for this customer with another payload "
        "(metric, timestamp, value, dimensions or properties); an eventId names one event "
        "for ever: send a new eventId",
    )


def _dimensions(event: UsageEvent, metric: EventMetric, fail: Fail) -> dict[str, str]:
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
    given: Decimal | None, metric: EventMetric, properties: Mapping[str, Any], fail: Fail
) -> tuple[Decimal | None, str | None]:
    """(value, unique_value) for the row: the event's `value` (`given`) if any, else the
    metric's property."""
    prop = metric.event_property
    if metric.aggregation is Aggregation.COUNT:
        if given is not None and given < ZERO:
            fail("value", ErrorCode.NEGATIVE_VALUE, "usage values must be >= 0")
        return given, None
    if given is None and (prop is None or prop not in properties):
        where = f"properties.{prop}" if prop else "value"
        fail(
            "value",
            ErrorCode.MISSING_VALUE,
            f"metric {metric.key} ({metric.aggregation.value}) needs a value: give `value` "
            f"or {where}",
        )
        return None, None
    if metric.aggregation is Aggregation.UNIQUE_COUNT:
        if given is not None:
            return None, format(given, "f")
        assert prop is not None  # checked above: the value comes from the property
        return None, _unique_text(properties[prop], f"properties.{prop}", fail)
    if given is not None:
        number: Decimal | None = given
        field = "value"
    else:
        assert prop is not None
        field = f"properties.{prop}"
        number = _number(properties[prop], field, fail)
    if number is not None and number < ZERO:
        fail(field, ErrorCode.NEGATIVE_VALUE, "usage values must be >= 0")
        return None, None
    return number, None


def _number(raw: Any, field: str, fail: Fail) -> Decimal | None:
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


def _unique_text(raw: Any, field: str, fail: Fail) -> str | None:
    if isinstance(raw, str):
        text = raw
        if NUL in text:
            fail(field, ErrorCode.INVALID_VALUE, f"{field} {NUL_MESSAGE}")
            return None
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
