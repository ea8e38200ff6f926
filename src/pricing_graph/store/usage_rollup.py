"""Hourly usage rollups: kept at ingestion, read for SUM, COUNT and MAX.

One row per (customer, metric, UTC hour, dimension group) holds the event count, the sum
and the largest of the values (`usage_rollup`). The rows are upserted from the events a
batch actually inserted (the RETURNING of the deduplicating INSERT), in the same
transaction, so a replayed event never counts twice and a late event updates its own hour.
Billing periods start and end at midnight UTC, so a period is a whole number of hours and
its SUM, COUNT and MAX are exact sums and maxima of its hours' rows. A period bound that is
not on the hour is read from the events instead.

PostgreSQL does the insert and the upsert in one statement (a data-modifying CTE: one round
trip). SQLite upserts the batch's hours after the insert; it has no exact decimal
arithmetic, so the engine registers `decimal_add` and `decimal_greatest` (exact, on
decimal text) next to the aggregates of usage_repo.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
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
    or_,
    select,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from pricing_graph.rating.models import Aggregation
from pricing_graph.store.types import EXACT
from pricing_graph.store.usage import UsageRollupRow

ROLLUPS = UsageRollupRow.__table__  # type: ignore[attr-defined]

#: What the rollups answer; every other aggregation reads the events.
ROLLED_UP = (Aggregation.SUM, Aggregation.MAX, Aggregation.COUNT)


# --------------------------------------------------------------------------- SQLite functions


def _exact(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, int | str) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"expected decimal text or an integer, got {type(value).__name__}")


def decimal_add(first: Any, second: Any) -> str | None:
    """The exact sum of two decimal texts; a NULL side is no value (as SUM skips NULLs)."""
    a, b = _exact(first), _exact(second)
    if a is None or b is None:
        only = a if b is None else b
        return None if only is None else format(only, "f")
    return format(EXACT.add(a, b), "f")


def decimal_greatest(first: Any, second: Any) -> str | None:
    """The larger of two decimal texts by value, NULLs skipped (as PostgreSQL's GREATEST)."""
    a, b = _exact(first), _exact(second)
    top = a if b is None else b if a is None else max(a, b)
    return None if top is None else format(top, "f")


SQLITE_FUNCTIONS = {"decimal_add": decimal_add, "decimal_greatest": decimal_greatest}


# --------------------------------------------------------------------------- writes

# PostgreSQL: the events as one JSON document, an array of one object per event with
# one-letter keys (json_to_recordset reads it in C; its `json` columns keep the objects'
# text as sent), so the client encodes one string instead of nine arrays of 1,000 values
# (0.3 ms against 1.9 ms of asyncpg's encoding, plus building the arrays). The rows the
# INSERT really stored (RETURNING) are grouped by hour and upserted into the rollups in
# the same statement. The rows and the rollup rows are written in key order (text in byte
# order, COLLATE "C": as store/usage_copy.py sorts them in Python), so concurrent batches
# cannot deadlock on them. It answers with the events NOT stored (already there): none
# for a batch of new events, so nothing comes back to be read row by row.
# An hour's aggregates upserted: added to what the hour holds (SUM of NULLs stays NULL).
ADD_TO_HOUR = """ON CONFLICT (customer_id, metric_id, hour, group_key) DO UPDATE SET
    event_count = r.event_count + excluded.event_count,
    value_sum = CASE WHEN r.value_sum IS NULL THEN excluded.value_sum
                     WHEN excluded.value_sum IS NULL THEN r.value_sum
                     ELSE r.value_sum + excluded.value_sum END,
    value_max = GREATEST(r.value_max, excluded.value_max)"""

INSERT_WITH_ROLLUPS = text(
    f"""
    WITH given AS (
        SELECT c AS customer_id, m AS metric_id, e AS event_id, t AS occurred_at,
               v AS value, u AS unique_value, g AS group_key, d AS dimensions,
               p AS properties
        FROM json_to_recordset(CAST(:events AS json))
             AS j(c integer, m integer, e text, t timestamptz, v numeric, u text, g text,
                  d json, p json)
    ), stored AS (
        INSERT INTO usage_event (customer_id, metric_id, event_id, occurred_at, value,
                                 unique_value, group_key, dimensions, properties, ingested_at)
        SELECT customer_id, metric_id, event_id, occurred_at, value, unique_value,
               group_key, dimensions, properties, now()
        FROM given
        ORDER BY customer_id, event_id COLLATE "C"
        ON CONFLICT (customer_id, event_id) DO NOTHING
        RETURNING customer_id, event_id, metric_id, occurred_at, value, group_key
    ), rolled AS (
        INSERT INTO usage_rollup AS r (customer_id, metric_id, hour, group_key, event_count,
                                       value_sum, value_max)
        SELECT customer_id, metric_id,
               date_trunc('hour', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour,
               group_key, count(*), sum(value), max(value)
        FROM stored
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, group_key COLLATE "C"
        {ADD_TO_HOUR}
    )
    SELECT customer_id, event_id FROM given
    EXCEPT
    SELECT customer_id, event_id FROM stored
    """
).bindparams(bindparam("events", type_=Text))


# PostgreSQL: every rollup rebuilt from the stored events, for events written around the
# service (the benchmarks' generate_series loads); migration 0006 does the same once.
REBUILD_POSTGRESQL = """
DELETE FROM usage_rollup;
INSERT INTO usage_rollup (customer_id, metric_id, hour, group_key, event_count,
                          value_sum, value_max)
SELECT customer_id, metric_id,
       date_trunc('hour', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       group_key, count(*), sum(value), max(value)
FROM usage_event
GROUP BY 1, 2, 3, 4;
"""


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


HourKey = tuple[int, int, datetime, str]  # (customer_id, metric_id, hour, group_key)


def hourly(rows: Sequence[Mapping[str, Any]]) -> list[tuple[HourKey, list[Any]]]:
    """The stored events' (usage_event rows, `occurred_at` in UTC) hourly rollups in key
    order: (customer_id, metric_id, hour, group_key) -> [count, exact sum, max] (the sum and
    the max None when no event has a value), as the PostgreSQL statement computes them."""
    hours: dict[HourKey, list[Any]] = {}
    for row in rows:
        key = (
            row["customer_id"],
            row["metric_id"],
            hour_of(row["occurred_at"]),
            row.get("group_key", ""),
        )
        value: Decimal | None = row.get("value")
        entry = hours.get(key)
        if entry is None:
            hours[key] = [1, value, value]
            continue
        entry[0] += 1
        if value is not None:
            entry[1] = value if entry[1] is None else EXACT.add(entry[1], value)
            entry[2] = value if entry[2] is None else max(entry[2], value)
    return sorted(hours.items())


async def upsert_rollups_sqlite(
    connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Add these stored events (usage_event rows, `occurred_at` in UTC) to their hours."""
    if not rows:
        return
    insert = sqlite.insert(ROLLUPS)
    statement = insert.on_conflict_do_update(
        index_elements=["customer_id", "metric_id", "hour", "group_key"],
        set_={
            "event_count": ROLLUPS.c.event_count + insert.excluded.event_count,
            "value_sum": func.decimal_add(ROLLUPS.c.value_sum, insert.excluded.value_sum),
            "value_max": func.decimal_greatest(ROLLUPS.c.value_max, insert.excluded.value_max),
        },
    )
    await connection.execute(
        statement,
        [
            {
                "customer_id": customer_id,
                "metric_id": metric_id,
                "hour": hour,
                "group_key": key,
                "event_count": count,
                "value_sum": total,
                "value_max": top,
            }
            for (customer_id, metric_id, hour, key), (count, total, top) in hourly(rows)
        ],
    )


# --------------------------------------------------------------------------- reads


def on_the_hour(bounds: Sequence[tuple[datetime, datetime]]) -> bool:
    """Whether every period bound is a whole UTC hour, so the rollups answer exactly."""
    return all(hour_of(start) == start and hour_of(end) == end for start, end in bounds)


def rollup_branch(
    by_aggregation: Mapping[Aggregation, Collection[int]],
    customer_id: int,
    bounds: Sequence[tuple[datetime, datetime]],
    merged: Sequence[tuple[datetime, datetime]],
    *,
    postgres: bool,
) -> Select[Any]:
    """(metric_id, group_key, bucket, quantity) of the SUM, MAX and COUNT metrics from their
    hours: SUM sums the sums, MAX takes the largest maximum, COUNT sums the counts.
    `merged` is `bounds` with back-to-back periods joined (one range to scan)."""
    metric_ids = sorted(m for kind in ROLLED_UP for m in by_aggregation.get(kind, ()))
    hours = _bucketed_hours(metric_ids, customer_id, bounds, merged)
    aggregates: dict[Aggregation, ColumnElement[Any]] = {
        Aggregation.SUM: func.sum(hours.c.value_sum)
        if postgres
        else func.decimal_sum(hours.c.value_sum),
        Aggregation.MAX: func.max(hours.c.value_max)
        if postgres
        else func.decimal_max(hours.c.value_max),
        Aggregation.COUNT: func.sum(hours.c.event_count),
    }
    kinds = [kind for kind in ROLLED_UP if by_aggregation.get(kind)]
    quantity: ColumnElement[Any]
    if len(kinds) == 1:
        quantity = aggregates[kinds[0]]
    else:
        quantity = case(
            *[
                (
                    hours.c.metric_id.in_(sorted(by_aggregation[kind])),
                    aggregates[kind].filter(hours.c.metric_id.in_(sorted(by_aggregation[kind]))),
                )
                for kind in kinds
            ]
        )
    keys = (hours.c.metric_id, hours.c.group_key, hours.c.bucket)
    # One column type across the UNION ALL branches on PostgreSQL (NUMERIC: exact).
    labelled = (cast(quantity, Numeric) if postgres else quantity).label("quantity")
    return select(*keys, labelled).group_by(*keys)


def _bucketed_hours(
    metric_ids: Sequence[int],
    customer_id: int,
    bounds: Sequence[tuple[datetime, datetime]],
    merged: Sequence[tuple[datetime, datetime]],
) -> Subquery:
    hour = ROLLUPS.c.hour
    bucket: ColumnElement[Any] = literal_column("0")
    if len(bounds) > 1:
        bucket = case(
            *[
                (and_(hour >= start, hour < end), literal_column(str(index)))
                for index, (start, end) in enumerate(bounds)
            ],
            else_=None,
        )
    span = or_(*[and_(hour >= start, hour < end) for start, end in merged])
    return (
        select(
            ROLLUPS.c.metric_id,
            ROLLUPS.c.group_key,
            ROLLUPS.c.event_count,
            ROLLUPS.c.value_sum,
            ROLLUPS.c.value_max,
            bucket.label("bucket"),
        )
        .where(ROLLUPS.c.customer_id == customer_id, ROLLUPS.c.metric_id.in_(metric_ids), span)
        .subquery()
    )
