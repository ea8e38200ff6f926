"""The ClickHouse usage schema: written so that 18.16 (Debian) and current releases accept it.

- `usage_event`: every event once, ReplacingMergeTree ordered by (customer_id, event_id), so
  ingestion finds a batch's event IDs by primary key, and a copy that slipped in twice
  (two processes racing on one event ID) is merged away.
- `usage_event_by_time` (materialized view target): the same events ordered by
  (customer_id, metric_id, occurred_us) for the reads that need events (UNIQUE_COUNT,
  LATEST, the per-event values of PERCENTAGE and DYNAMIC prices, periods not on the hour).
- `usage_hourly` (materialized view target): AggregatingMergeTree per (customer, metric,
  dimension group, hour) with the states SUM, MAX and COUNT need, plus the decimal scales
  so answers print as the SQL store's do (1,000 x 0.1 = "100.0").

Values are Decimal128(12) (26 integer and 12 fractional digits; the store refuses events
beyond that) next to their exact text; times are microseconds since the epoch (Int64),
since DateTime64 does not exist on 18.16. Every statement is IF NOT EXISTS: `prepare` is
idempotent and runs on `pricing-graph migrate` and on the store's first use.
"""

from __future__ import annotations

from pricing_graph.store.clickhouse.client import ClickHouseClient

#: Digits after the decimal point that Decimal128(12) keeps, and before it.
SCALE = 12
INTEGER_DIGITS = 38 - SCALE

_EVENT_COLUMNS = """
    customer_id Int64,
    event_id String,
    metric_id Int64,
    occurred_us Int64,
    value_text String,
    unique_value String,
    group_key String,
    properties String,
    ingested_us Int64,
    position UInt32
"""
# The views derive the Decimal and its scale from the exact text ('' when the event has no
# value), so a batch travels as text once and ClickHouse, not Python, converts it.
_VALUE = "toDecimal128(if(value_text = '', '0', value_text), 12)"
_SCALE = (
    "toUInt8(if(position(value_text, '.') = 0, 0, length(value_text) - position(value_text, '.')))"
)

STATEMENTS = (
    "CREATE TABLE IF NOT EXISTS {db}.usage_event ({columns}) "
    "ENGINE = ReplacingMergeTree() ORDER BY (customer_id, event_id)",
    "CREATE TABLE IF NOT EXISTS {db}.usage_event_by_time ("
    "customer_id Int64, metric_id Int64, occurred_us Int64, group_key String, "
    "value Decimal128(12), value_text String, scale UInt8, unique_value String, "
    "ingested_us Int64, position UInt32) "
    "ENGINE = MergeTree() PARTITION BY toYYYYMM(toDateTime(intDiv(occurred_us, 1000000))) "
    "ORDER BY (customer_id, metric_id, occurred_us)",
    "CREATE TABLE IF NOT EXISTS {db}.usage_hourly ("
    "customer_id Int64, metric_id Int64, hour DateTime, group_key String, "
    "total AggregateFunction(sum, Decimal128(12)), "
    "top AggregateFunction(max, Decimal128(12)), "
    "top_scale AggregateFunction(argMax, UInt8, Decimal128(12)), "
    "max_scale AggregateFunction(max, UInt8), "
    "events AggregateFunction(count)) "
    "ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) "
    "ORDER BY (customer_id, metric_id, hour, group_key)",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.usage_event_by_time_mv "
    "TO {db}.usage_event_by_time AS SELECT customer_id, metric_id, occurred_us, group_key, "
    f"{_VALUE} AS value, value_text, {_SCALE} AS scale, unique_value, ingested_us, position "
    "FROM {db}.usage_event",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.usage_hourly_mv TO {db}.usage_hourly AS "
    "SELECT customer_id, metric_id, "
    "toDateTime(intDiv(occurred_us, 3600000000) * 3600) AS hour, group_key, "
    f"sumState({_VALUE}) AS total, maxState({_VALUE}) AS top, "
    f"argMaxState({_SCALE}, {_VALUE}) AS top_scale, maxState({_SCALE}) AS max_scale, "
    "countState() AS events "
    "FROM {db}.usage_event GROUP BY customer_id, metric_id, hour, group_key",
)


async def create_schema(client: ClickHouseClient) -> None:
    """The database (if missing), the tables and the views; safe to run again."""
    db = client.url.database
    await client.execute(f"CREATE DATABASE IF NOT EXISTS {db}", database=None)
    for statement in STATEMENTS:
        await client.execute(statement.format(db=db, columns=_EVENT_COLUMNS))
