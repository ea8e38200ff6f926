"""Usage events: batch insert with deduplication, and exact aggregation in SQL.

Aggregates are computed by the database, per billing period and dimension group, in one
statement for all periods. PostgreSQL sums NUMERIC exactly; SQLite stores decimals as text,
so on SQLite the statement uses `decimal_sum` and `decimal_max`, exact Python aggregates
registered on every connection (`register_sqlite_aggregates`, called by the engine's
connect hook), instead of SUM (float) and MAX (text order: "9" > "10").
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Numeric,
    Select,
    Subquery,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating.models import ZERO, Aggregation, Metric
from pricing_graph.rating.usage import Group, MetricUsage, UsageSnapshot
from pricing_graph.store import driver, plans
from pricing_graph.store.catalog import MetricRow
from pricing_graph.store.contracts import ContractRow, CustomerRow
from pricing_graph.store.types import EXACT, as_utc, exact_decimal, json_text
from pricing_graph.store.usage import UsageEventRow
from pricing_graph.store.usage_copy import copy_new_events
from pricing_graph.store.usage_rollup import (
    INSERT_WITH_ROLLUPS,
    ROLLED_UP,
    SQLITE_FUNCTIONS,
    on_the_hour,
    rollup_branch,
    upsert_rollups_sqlite,
)
from pricing_graph.store.weighted_usage import weighted_quantities

EVENTS = UsageEventRow.__table__  # type: ignore[attr-defined]
CONTRACTS = ContractRow.__table__  # type: ignore[attr-defined]
CUSTOMERS = CustomerRow.__table__  # type: ignore[attr-defined]
METRICS = MetricRow.__table__  # type: ignore[attr-defined]

#: Rows per INSERT statement; 10 parameters a row stays under both backends' limits.
INSERT_CHUNK = 1000

# Exact arithmetic for the SQLite aggregates: a sum never rounds (Inexact would raise).


# --------------------------------------------------------------------------- groups


def group_key(dimensions: Mapping[str, str]) -> str:
    """The canonical text of a dimension group: JSON of sorted pairs, "" for none."""
    if not dimensions:
        return ""
    pairs = [[name, dimensions[name]] for name in sorted(dimensions)]
    return json_text(pairs)


def group_from_key(key: str) -> Group:
    if not key:
        return ()
    return tuple((str(name), str(value)) for name, value in json.loads(key))


# --------------------------------------------------------------------------- SQLite aggregates


class _DecimalSum:
    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: Any) -> None:
        if value is None:
            return
        amount = exact_decimal(value)
        self.total = amount if self.total is None else EXACT.add(self.total, amount)

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


class _DecimalMax:
    def __init__(self) -> None:
        self.top: Decimal | None = None

    def step(self, value: Any) -> None:
        if value is None:
            return
        amount = exact_decimal(value)
        if self.top is None or amount > self.top:
            self.top = amount

    def finalize(self) -> str | None:
        return None if self.top is None else format(self.top, "f")


SQLITE_AGGREGATES: dict[str, type[Any]] = {"decimal_sum": _DecimalSum, "decimal_max": _DecimalMax}


def register_sqlite_aggregates(dbapi_connection: Any) -> None:
    """Register the exact decimal aggregates on one SQLite connection.

    aiosqlite runs sqlite3 in its own thread and offers no `create_aggregate`, so the call
    is queued on that thread the way SQLAlchemy's adapter queues `create_function`.
    """
    driver = getattr(dbapi_connection, "driver_connection", dbapi_connection)
    if hasattr(driver, "create_aggregate"):  # plain sqlite3
        for name, implementation in SQLITE_AGGREGATES.items():
            driver.create_aggregate(name, 1, implementation)
        for name, function in SQLITE_FUNCTIONS.items():  # the rollups' exact upsert
            driver.create_function(name, 2, function, deterministic=True)
        return
    from sqlalchemy.util.concurrency import await_

    for name, implementation in SQLITE_AGGREGATES.items():
        await_(driver._execute(driver._conn.create_aggregate, name, 1, implementation))
    for name, function in SQLITE_FUNCTIONS.items():
        await_(driver._execute(driver._conn.create_function, name, 2, function, deterministic=True))


# --------------------------------------------------------------------------- lookups


@dataclass(frozen=True, slots=True)
class EventMetric:
    """What ingestion needs of a metric to check and store its events."""

    id: int
    key: str
    aggregation: Aggregation
    event_property: str | None
    dimensions: frozenset[str]


async def batch_lookups(
    session: AsyncSession,
    external_ids: Collection[str],
    metric_keys: Collection[str],
    *,
    customers: bool = True,
    partner_owner: str | None = None,
) -> tuple[dict[str, int], dict[str, EventMetric]]:
    """What a batch of usage events looks up before it is checked, in one statement (UNION
    ALL, one round trip): the database ids of the customers with these external IDs (none
    when `customers` is False; with `partner_owner`, only the customers that partner
    owns), and the metrics with these keys. Absent ones are left out."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        return await _batch_lookups_postgresql(
            connection, external_ids, metric_keys, customers, partner_owner
        )
    metrics = select(
        literal_column("'m'").label("kind"),
        METRICS.c.key,
        METRICS.c.id,
        METRICS.c.aggregation,
        METRICS.c.event_property,
        METRICS.c.dimensions,
    ).where(METRICS.c.key.in_(metric_keys))
    statement: Select[Any] | CompoundSelect[Any] = metrics
    if customers:
        found = select(
            literal_column("'c'"),
            CUSTOMERS.c.external_id,
            CUSTOMERS.c.id,
            null(),
            null(),
            null(),
        ).where(CUSTOMERS.c.external_id.in_(external_ids))
        if partner_owner is not None:
            found = found.where(CUSTOMERS.c.partner_owner == partner_owner)
        statement = union_all(metrics, found)
    customer_ids: dict[str, int] = {}
    event_metrics: dict[str, EventMetric] = {}
    for kind, key, row_id, aggregation, prop, dimensions in await connection.execute(statement):
        if kind == "c":
            customer_ids[key] = row_id
        else:
            event_metrics[key] = EventMetric(
                row_id, key, Aggregation(aggregation), prop, frozenset(dimensions)
            )
    return customer_ids, event_metrics


_METRICS_POSTGRESQL = (
    "SELECT 'm', key, id, aggregation, event_property, dimensions::text FROM billable_metric "
    "WHERE key = ANY($1::text[])"
)
_CUSTOMERS_POSTGRESQL = (
    " UNION ALL SELECT 'c', external_id, id, NULL, NULL, NULL FROM customer "
    "WHERE external_id = ANY($2::text[])"
)


async def _batch_lookups_postgresql(
    connection: AsyncConnection,
    external_ids: Collection[str],
    metric_keys: Collection[str],
    customers: bool,
    partner_owner: str | None,
) -> tuple[dict[str, int], dict[str, EventMetric]]:
    """`batch_lookups` as one prepared statement on the driver's connection (the lists as
    two array parameters: one statement for any number of keys)."""
    statement = _METRICS_POSTGRESQL
    arguments: list[Any] = [list(metric_keys)]
    if customers:
        statement += _CUSTOMERS_POSTGRESQL
        arguments.append(list(external_ids))
        if partner_owner is not None:
            statement += " AND partner_owner = $3"
            arguments.append(partner_owner)
    customer_ids: dict[str, int] = {}
    event_metrics: dict[str, EventMetric] = {}
    for kind, key, row_id, aggregation, prop, dimensions in await driver.fetch(
        connection, statement, *arguments
    ):
        if kind == "c":
            customer_ids[key] = row_id
        else:
            event_metrics[key] = EventMetric(
                row_id, key, Aggregation(aggregation), prop, frozenset(json.loads(dimensions))
            )
    return customer_ids, event_metrics


# --------------------------------------------------------------------------- writes


async def insert_events(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> set[tuple[int, str]]:
    """Insert usage events, skipping any (customer_id, event_id) already stored, and add
    the inserted ones to their hourly rollups (store/usage_rollup.py) in the same
    transaction.

    Returns the (customer_id, event_id) pairs actually inserted. Rows are written in key
    order, so two concurrent batches sharing event IDs lock them in the same order and
    cannot deadlock; the loser of a race waits for the winner and then skips the row.
    Each `rows` item has the usage_event columns except `id`.
    """
    if not rows:
        return set()
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        if plans.on_generic_plans(session):
            return await _insert_events_postgresql(connection, rows)
        # the foreign-key checks' per-row queries on generic plans (store/plans.py); a
        # failed insert aborts the transaction, and the setting goes with it
        await plans.generic_plans(session)
        stored = await _insert_events_postgresql(connection, rows)
        await plans.own_plans(session)
        return stored
    dialect = sqlite
    statement = (
        dialect.insert(EVENTS)
        .on_conflict_do_nothing(index_elements=["customer_id", "event_id"])
        .returning(EVENTS.c.customer_id, EVENTS.c.event_id)
    )
    ordered = sorted(rows, key=lambda row: (row["customer_id"], row["event_id"]))
    inserted: set[tuple[int, str]] = set()
    for start in range(0, len(ordered), INSERT_CHUNK):
        chunk = ordered[start : start + INSERT_CHUNK]
        result = await connection.execute(statement, list(chunk))
        stored = {(customer_id, event_id) for customer_id, event_id in result.all()}
        rolled = []
        for row in chunk:  # the first copy of a key is the one stored (in key order)
            key = (row["customer_id"], row["event_id"])
            if key in stored and key not in inserted:
                inserted.add(key)
                rolled.append({**row, "occurred_at": as_utc(row["occurred_at"])})
        await upsert_rollups_sqlite(connection, rolled)
    return inserted


# PostgreSQL: a fresh batch with COPY in a savepoint (store/usage_copy.py), its rollups
# with one more statement. A batch with an event already stored (the COPY fails on it and
# stores nothing) in one statement and one parameter (INSERT_WITH_ROLLUPS: one JSON
# document, serialized by orjson in C) that skips the stored rows, upserts the rollups of
# the rows it stored, and answers with the rows it skipped.
async def _insert_events_postgresql(
    connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]
) -> set[tuple[int, str]]:
    # key order (a key twice fails the COPY, and the INSERT stores it once)
    ordered = sorted(rows, key=_EVENT_KEY)
    if await copy_new_events(connection, ordered):
        return set(map(_EVENT_KEY, ordered))
    events = []
    for row in rows:
        moment = row["occurred_at"]
        value = row.get("value")
        events.append(
            {
                "c": row["customer_id"],
                "m": row["metric_id"],
                "e": row["event_id"],
                # aware, so the text has its offset (orjson writes RFC 3339)
                "t": moment if moment.tzinfo is UTC else as_utc(moment),
                "v": None if value is None else format(value, "f"),
                "u": row.get("unique_value"),
                "g": row.get("group_key", ""),
                "d": row.get("dimensions") or {},
                "p": row.get("properties") or {},
            }
        )
    result = await connection.execute(INSERT_WITH_ROLLUPS, {"events": json_text(events)})
    # the statement returns the events it did not store: usually none
    skipped = {(customer_id, event_id) for customer_id, event_id in result}
    return {
        (row["customer_id"], row["event_id"])
        for row in rows
        if (row["customer_id"], row["event_id"]) not in skipped
    }


_EVENT_KEY = itemgetter("customer_id", "event_id")  # (customer_id, event_id) of a row


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """What identifies an event's payload once stored: a replay of its (customer_id,
    event_id) is a duplicate only when all of this is the same."""

    metric_id: int
    occurred_at: datetime
    value: Decimal | None
    unique_value: str | None
    group_key: str
    properties: Any


_STORED_COLUMNS = (
    "e.customer_id, e.event_id, e.metric_id, e.occurred_at, e.value, e.unique_value, "
    "e.group_key, e.properties"
)
# SQLite: the pairs as one JSON parameter, joined through the (customer_id, event_id) index.
_STORED_SQLITE = text(
    f"SELECT {_STORED_COLUMNS} FROM json_each(:pairs) AS k CROSS JOIN usage_event AS e "
    "ON e.customer_id = json_extract(k.value, '$[0]') "
    "AND e.event_id = json_extract(k.value, '$[1]')"
)
_STORED_POSTGRESQL = text(
    f"SELECT {_STORED_COLUMNS} FROM unnest(:customer_ids, :event_ids) AS k(customer_id, event_id) "
    "JOIN usage_event AS e ON e.customer_id = k.customer_id AND e.event_id = k.event_id"
).bindparams(
    bindparam("customer_ids", type_=ARRAY(Integer)),
    bindparam("event_ids", type_=ARRAY(Text)),
)


async def stored_events(
    session: AsyncSession, keys: Collection[tuple[int, str]]
) -> dict[tuple[int, str], StoredEvent]:
    """The stored payload of these (customer_id, event_id) events, in one statement
    (absent ones are left out)."""
    if not keys:
        return {}
    connection = await session.connection()
    columns = (
        EVENTS.c.customer_id,
        EVENTS.c.event_id,
        EVENTS.c.metric_id,
        EVENTS.c.occurred_at,
        EVENTS.c.value,
        EVENTS.c.unique_value,
        EVENTS.c.group_key,
        EVENTS.c.properties,
    )
    pairs = sorted(keys)
    if connection.dialect.name == "postgresql":
        statement = _STORED_POSTGRESQL.columns(*columns)
        parameters: dict[str, Any] = {
            "customer_ids": [customer_id for customer_id, _ in pairs],
            "event_ids": [event_id for _, event_id in pairs],
        }
    else:
        statement = _STORED_SQLITE.columns(*columns)
        parameters = {"pairs": json_text([list(pair) for pair in pairs])}
    found: dict[tuple[int, str], StoredEvent] = {}
    for row in await connection.execute(statement, parameters):
        found[(row.customer_id, row.event_id)] = StoredEvent(
            metric_id=row.metric_id,
            occurred_at=as_utc(row.occurred_at),
            value=None if row.value is None else exact_decimal(row.value),
            unique_value=row.unique_value,
            group_key=row.group_key,
            properties=row.properties,
        )
    return found


# PostgreSQL: the unbilled count and whether any of the customers has a contract that
# may be in force today (its dates cover today; HARD limits need one), in one statement.
_UNBILLED_POSTGRESQL = """
WITH pending (customer_id, day, events) AS (
    SELECT * FROM unnest($1::integer[], $2::date[], $3::integer[])
)
SELECT
    (SELECT coalesce(sum(p.events), 0) FROM pending AS p
     WHERE NOT EXISTS (
         SELECT 1 FROM contract AS k
         WHERE k.customer_id = p.customer_id AND k.start_date <= p.day
           AND (k.end_date IS NULL OR p.day < k.end_date)))::bigint,
    EXISTS (
        SELECT 1 FROM contract AS k
        WHERE k.customer_id IN (SELECT customer_id FROM pending)
          AND k.start_date <= $4 AND (k.end_date IS NULL OR k.end_date > $4))
"""


async def unbilled_and_in_force(
    session: AsyncSession, events: Iterable[tuple[int, datetime]], today: date
) -> tuple[int, bool]:
    """`unbilled_count` of these (customer_id, occurred_at) events, and whether a contract
    of one of their customers may be in force `today`: False when none is (no HARD limit
    can apply); True when one may, or always on SQLite (which asks no more than
    `unbilled_count`)."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return await unbilled_count(session, events), True
    pending = _by_day(events)
    if not pending:
        return 0, False
    unbilled, in_force = (
        await driver.fetch(
            connection,
            _UNBILLED_POSTGRESQL,
            [customer_id for customer_id, _ in pending],
            [day for _, day in pending],
            list(pending.values()),
            today,
        )
    )[0]
    return int(unbilled), bool(in_force)


def _by_day(events: Iterable[tuple[int, datetime]]) -> Counter[tuple[int, date]]:
    """Events by (customer, UTC date): a batch of 1,000 has a few dozen such pairs."""
    return Counter(
        (customer_id, (moment if moment.tzinfo is UTC else as_utc(moment)).date())
        for customer_id, moment in events
    )


async def unbilled_count(session: AsyncSession, events: Iterable[tuple[int, datetime]]) -> int:
    """How many of these (customer_id, occurred_at) events no contract covers.

    A contract covers the UTC dates [start_date, end_date); an open end covers for ever.
    """
    pending = _by_day(events)
    if not pending:
        return 0
    customer_ids = {customer_id for customer_id, _ in pending}
    statement = select(CONTRACTS.c.customer_id, CONTRACTS.c.start_date, CONTRACTS.c.end_date).where(
        CONTRACTS.c.customer_id.in_(customer_ids)
    )
    spans: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    connection = await session.connection()
    for customer_id, start, end in await connection.execute(statement):
        spans[customer_id].append((start, end))
    return sum(
        count
        for (customer_id, day), count in pending.items()
        if not any(start <= day and (end is None or day < end) for start, end in spans[customer_id])
    )


# --------------------------------------------------------------------------- aggregation


@dataclass(frozen=True, slots=True)
class UsageRequest:
    """One customer's usage of some metrics over some periods (see `aggregate_usage`)."""

    customer_id: int
    metrics: tuple[tuple[int, Metric], ...]
    periods: tuple[tuple[datetime, datetime], ...]
    detail_metric_ids: frozenset[int] = frozenset()


async def aggregate_usage(
    session: AsyncSession,
    *,
    customer_id: int,
    metrics: Mapping[int, Metric],
    periods: Sequence[tuple[datetime, datetime]],
    detail_metric_ids: Collection[int] = (),
) -> list[UsageSnapshot]:
    """One `UsageSnapshot` per period (half-open [start, end), ascending), same order.

    Each snapshot holds one `MetricUsage` per (metric, dimension group) with events in the
    period, sorted by metric key then group; metrics without events are absent. For
    `detail_metric_ids` each entry also carries every event's value, ordered by time then
    insertion, as `transactions` and `event_costs` (PERCENTAGE and DYNAMIC prices).
    Two statements at most: the aggregates, and the detail values when asked for.
    """
    request = UsageRequest(
        customer_id,
        tuple(sorted(metrics.items())),
        tuple(periods),
        frozenset(detail_metric_ids),
    )
    return (await aggregate_usage_many(session, [request]))[0]


async def aggregate_usage_many(
    session: AsyncSession, requests: Sequence[UsageRequest]
) -> list[list[UsageSnapshot]]:
    """`aggregate_usage` for many requests (say, 50 contracts on one page) in the same two
    statements: the requests' branches joined by UNION ALL, each row tagged with its request.

    SUM, COUNT and MAX come from the hourly rollups when every period bound is on the hour
    (billing periods are whole UTC days); the other aggregations, the detail values and
    periods with other bounds read the events."""
    return await _aggregate_many(session, requests, rollups=True)


async def aggregate_usage_many_from_events(
    session: AsyncSession, requests: Sequence[UsageRequest]
) -> list[list[UsageSnapshot]]:
    """`aggregate_usage_many` reading every event, never the rollups: the reference the
    rollups are checked against (tests, benchmarks)."""
    return await _aggregate_many(session, requests, rollups=False)


async def _aggregate_many(
    session: AsyncSession, requests: Sequence[UsageRequest], *, rollups: bool
) -> list[list[UsageSnapshot]]:
    bounds = [[(as_utc(start), as_utc(end)) for start, end in r.periods] for r in requests]
    snapshots: list[list[dict[tuple[int, str], Decimal]]] = [[{} for _ in b] for b in bounds]
    details: list[list[dict[tuple[int, str], list[Decimal]]]] = [
        [defaultdict(list) for _ in b] for b in bounds
    ]
    connection = await session.connection()
    postgres = connection.dialect.name == "postgresql"

    branches: list[Select[Any]] = []
    for index, (request, periods) in enumerate(zip(requests, bounds, strict=True)):
        if not periods or not request.metrics:
            continue
        by_aggregation: dict[Aggregation, list[int]] = defaultdict(list)
        for metric_id, metric in request.metrics:
            by_aggregation[metric.aggregation].append(metric_id)
        for branch in _aggregate_branches(
            by_aggregation, request.customer_id, periods, postgres=postgres, rollups=rollups
        ):
            branches.append(_tagged(branch, index))
    if branches:
        statement = branches[0] if len(branches) == 1 else union_all(*branches)
        rows = await connection.execute(statement)
        for index, metric_id, key, bucket, quantity in rows:
            amount = ZERO if quantity is None else exact_decimal(quantity)
            snapshots[index][bucket][(metric_id, key)] = amount

    # WEIGHTED_SUM: the gauge's changes and the value before them, integrated in rating/.
    weighted = [
        (
            r.customer_id,
            [m for m, metric in r.metrics if metric.aggregation is Aggregation.WEIGHTED_SUM],
            periods,
        )
        for r, periods in zip(requests, bounds, strict=True)
    ]
    if any(metric_ids for _, metric_ids, _ in weighted):
        found = await weighted_quantities(connection, weighted)
        for (index, metric_id, key), per_period in found.items():
            for bucket, quantity in enumerate(per_period):
                if quantity is not None:
                    snapshots[index][bucket][(metric_id, key)] = quantity

    detailed: list[Select[Any]] = []
    for index, (request, periods) in enumerate(zip(requests, bounds, strict=True)):
        wanted = sorted(request.detail_metric_ids & {m for m, _ in request.metrics})
        if wanted and periods:
            events = _bucketed(wanted, request.customer_id, periods)
            detailed.append(
                select(
                    literal_column(str(index)).label("request"),
                    events.c.metric_id,
                    events.c.group_key,
                    events.c.bucket,
                    events.c.value,
                    events.c.occurred_at,
                    events.c.id,
                ).where(events.c.value.is_not(None))
            )
    if detailed:
        union = detailed[0] if len(detailed) == 1 else union_all(*detailed)
        ordered = union.subquery()
        detail_statement: Select[Any] = select(
            ordered.c.request,
            ordered.c.metric_id,
            ordered.c.group_key,
            ordered.c.bucket,
            ordered.c.value,
        ).order_by(ordered.c.occurred_at, ordered.c.id)
        for index, metric_id, key, bucket, value in await connection.execute(detail_statement):
            details[index][bucket][(metric_id, key)].append(exact_decimal(value))

    return [
        usage_snapshots(dict(request.metrics), quantities, values)
        for request, quantities, values in zip(requests, snapshots, details, strict=True)
    ]


def _tagged(branch: Select[Any], index: int) -> Select[Any]:
    rows = branch.subquery()
    return select(
        literal_column(str(index)).label("request"),
        rows.c.metric_id,
        rows.c.group_key,
        rows.c.bucket,
        rows.c.quantity,
    )


def usage_snapshots(
    metrics: Mapping[int, Metric],
    quantities: Sequence[Mapping[tuple[int, str], Decimal]],
    values: Sequence[Mapping[tuple[int, str], list[Decimal]]],
) -> list[UsageSnapshot]:
    """Per period, the quantity (and per-event values) of each (metric id, group key) as
    the rating core's snapshot: entries sorted by metric key, then group. Every usage store
    answers in this shape."""
    result = []
    for by_key, amounts_by_key in zip(quantities, values, strict=True):
        entries = []
        for (metric_id, key), quantity in by_key.items():
            amounts = tuple(amounts_by_key.get((metric_id, key), ()))
            entries.append(
                MetricUsage(
                    metric_key=metrics[metric_id].key,
                    quantity=quantity,
                    group=group_from_key(key),
                    transactions=amounts,
                    event_costs=amounts,
                )
            )
        entries.sort(key=lambda entry: (entry.metric_key, entry.group))
        result.append(UsageSnapshot(usage=tuple(entries)))
    return result


def _bucketed(
    metric_ids: Sequence[int], customer_id: int, bounds: Sequence[tuple[datetime, datetime]]
) -> Subquery:
    """The customer's events of these metrics inside the periods, with their period's index
    as `bucket`: a constant for one period, else a CASE over the period bounds."""
    occurred = EVENTS.c.occurred_at
    bucket: ColumnElement[Any] = literal_column("0")
    if len(bounds) > 1:
        bucket = case(
            *[
                (and_(occurred >= start, occurred < end), literal_column(str(index)))
                for index, (start, end) in enumerate(bounds)
            ],
            else_=None,
        )
    # Back-to-back periods filter as one range (an index range scan); gaps stay outside.
    span = or_(*[and_(occurred >= start, occurred < end) for start, end in _merged(bounds)])
    return (
        select(
            EVENTS.c.id,
            EVENTS.c.metric_id,
            EVENTS.c.group_key,
            EVENTS.c.occurred_at,
            EVENTS.c.value,
            EVENTS.c.unique_value,
            bucket.label("bucket"),
        )
        .where(
            EVENTS.c.customer_id == customer_id,
            EVENTS.c.metric_id.in_(metric_ids),
            span,
        )
        .subquery()
    )


def _merged(bounds: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in bounds:
        if merged and merged[-1][1] >= start:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


_SCANNED_TOGETHER = ROLLED_UP


def _aggregate_branches(
    by_aggregation: Mapping[Aggregation, Sequence[int]],
    customer_id: int,
    bounds: Sequence[tuple[datetime, datetime]],
    *,
    postgres: bool,
    rollups: bool = True,
) -> list[Select[Any]]:
    """SELECTs of (metric_id, group_key, bucket, quantity), to be joined by UNION ALL.

    SUM, MAX and COUNT metrics share one scan and one GROUP BY (each aggregate FILTERed to
    its own metrics); UNIQUE_COUNT (a DISTINCT aggregate) and LATEST (a window) get their
    own branch, only when such metrics are asked for.
    """
    branches: list[Select[Any]] = []
    together = [mid for kind in _SCANNED_TOGETHER for mid in by_aggregation.get(kind, ())]
    if together and rollups and on_the_hour(bounds):
        branches.append(
            rollup_branch(by_aggregation, customer_id, bounds, _merged(bounds), postgres=postgres)
        )
    elif together:
        events = _bucketed(together, customer_id, bounds)
        keys = (events.c.metric_id, events.c.group_key, events.c.bucket)
        kinds = [kind for kind in _SCANNED_TOGETHER if by_aggregation.get(kind)]
        aggregates: dict[Aggregation, ColumnElement[Any]] = {
            Aggregation.SUM: func.sum(events.c.value)
            if postgres
            else func.decimal_sum(events.c.value),
            Aggregation.MAX: func.max(events.c.value)
            if postgres
            else func.decimal_max(events.c.value),
            Aggregation.COUNT: func.count(),
        }
        quantity: ColumnElement[Any]
        if len(kinds) == 1:
            quantity = aggregates[kinds[0]]
        else:
            quantity = case(
                *[
                    (
                        events.c.metric_id.in_(by_aggregation[kind]),
                        aggregates[kind].filter(events.c.metric_id.in_(by_aggregation[kind])),
                    )
                    for kind in kinds
                ]
            )
        branches.append(
            select(*keys, _numeric(quantity, postgres).label("quantity")).group_by(*keys)
        )
    unique = by_aggregation.get(Aggregation.UNIQUE_COUNT)
    if unique:
        events = _bucketed(unique, customer_id, bounds)
        keys = (events.c.metric_id, events.c.group_key, events.c.bucket)
        quantity = func.count(events.c.unique_value.distinct())
        branches.append(
            select(*keys, _numeric(quantity, postgres).label("quantity")).group_by(*keys)
        )
    latest = by_aggregation.get(Aggregation.LATEST)
    if latest:
        events = _bucketed(latest, customer_id, bounds)
        keys = (events.c.metric_id, events.c.group_key, events.c.bucket)
        rank = (
            func.row_number()
            .over(partition_by=keys, order_by=(events.c.occurred_at.desc(), events.c.id.desc()))
            .label("rank")
        )
        ranked = select(*keys, events.c.value, rank).subquery()
        branches.append(
            select(
                ranked.c.metric_id,
                ranked.c.group_key,
                ranked.c.bucket,
                _numeric(ranked.c.value, postgres).label("quantity"),
            ).where(ranked.c.rank == 1)
        )
    return branches


def _numeric(quantity: ColumnElement[Any], postgres: bool) -> ColumnElement[Any]:
    """One column type across the UNION ALL branches on PostgreSQL (NUMERIC: exact). SQLite
    returns decimal text or integers as they are; a CAST there would make REALs."""
    return cast(quantity, Numeric) if postgres else quantity
