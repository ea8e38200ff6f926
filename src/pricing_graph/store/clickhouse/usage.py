"""`UsageStore` on ClickHouse: the same answers as the SQL store, digit for digit.

Writes: a batch's (customer, event ID) pairs are looked up first (one query by primary
key); only the new events are inserted, in (customer, event ID) order, each stamped with
the batch's clock and its position, which order ties the way the SQL store's ids do.
Lookup and insert run under one lock per process, so one process never stores an event ID
twice; two processes racing on the same event ID at the same instant could (the events
table merges the copy away, the hourly rollup would keep it): route a customer's ingestion
to one process, or replay only after the first attempt answered (docs/scaling.md).

Reads: SUM, MAX and COUNT come from the hourly rollup when every period bound is on the
hour (contract periods start at midnight UTC), else from the events; UNIQUE_COUNT, LATEST,
WEIGHTED_SUM (the gauge's changes and its last value before the period) and the per-event
values always read events. All of a page's requests go in one query per
kind (aggregates, per-event values), like the SQL store's two statements.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal, Inexact
from operator import itemgetter
from typing import Any

import httpx
import orjson
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating.models import Aggregation
from pricing_graph.rating.usage import UsageSnapshot
from pricing_graph.rating.weighted import weighted_by_period
from pricing_graph.store.clickhouse.client import (
    ClickHouseClient,
    ClickHouseError,
    ClickHouseUrl,
    tsv_json,
    tsv_text,
)
from pricing_graph.store.clickhouse.schema import INTEGER_DIGITS, SCALE, create_schema
from pricing_graph.store.types import as_utc, json_text
from pricing_graph.store.usage_repo import StoredEvent, UsageRequest, usage_snapshots
from pricing_graph.store.usage_rollup import ROLLED_UP

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EVENT_KEY = itemgetter("customer_id", "event_id")
LAST = datetime(2106, 1, 1, tzinfo=UTC)  # DateTime (the rollup's hour) ends in 2106
MICROSECOND = timedelta(microseconds=1)
HOUR_US = 3_600_000_000
# Quantizing never rounds here (Inexact would raise): 38 digits fit with room to spare.
_EXACT = Context(prec=100, traps=[Inexact])

_INSERT_COLUMNS = (
    "customer_id",
    "event_id",
    "metric_id",
    "occurred_us",
    "value_text",
    "unique_value",
    "group_key",
    "properties",
    "ingested_us",
    "position",
)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (a naive datetime is taken to be UTC)."""
    return ((moment if moment.tzinfo else as_utc(moment)) - EPOCH) // MICROSECOND


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def _with_scale(text: str, scale: int) -> Decimal:
    """A ClickHouse Decimal's text at the scale the SQL store would answer with."""
    return Decimal(text).quantize(Decimal(1).scaleb(-scale), context=_EXACT)


def _plain(text: str) -> Decimal:
    """Decimal text as the SQL store answers it: 1E+24 as 1000000000000000000000000."""
    value = Decimal(text)
    return value.quantize(Decimal(1), context=_EXACT) if _exponent(value) > 0 else value


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


class ClickHouseUsageStore:
    kind = "clickhouse"

    def __init__(self, client: ClickHouseClient) -> None:
        self.client = client
        self.db = client.url.database
        self._lock = asyncio.Lock()
        self._prepared = False
        self._clock = 0

    @classmethod
    def from_url(cls, url: str) -> ClickHouseUsageStore:
        return cls(ClickHouseClient(ClickHouseUrl.parse(url)))

    async def prepare(self) -> None:
        if not self._prepared:
            await create_schema(self.client)
            self._prepared = True

    async def close(self) -> None:
        await self.client.close()

    async def unreachable(self) -> str | None:
        try:  # its tables made if missing (once per process), then one round trip
            await self.prepare()
            await self.client.rows("SELECT 1")
        except (httpx.HTTPError, ClickHouseError, OSError) as failed:
            text = str(failed) or type(failed).__name__
            return f"the ClickHouse usage store cannot be reached ({text.splitlines()[0]})"
        return None

    def refusal(self, value: Decimal | None, occurred_at: datetime) -> tuple[str, str] | None:
        if value is not None:
            whole, _, fraction = format(value.copy_abs(), "f").partition(".")
            if len(fraction) > SCALE or len(whole.lstrip("0")) > INTEGER_DIGITS:
                return (
                    "value",
                    f"the ClickHouse usage store keeps at most {INTEGER_DIGITS} digits before "
                    f"the decimal point and {SCALE} after it",
                )
        if not EPOCH <= occurred_at < LAST:
            return ("timestamp", "the ClickHouse usage store keeps timestamps from 1970 to 2105")
        return None

    # ----------------------------------------------------------------------- writes

    async def insert_events(
        self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]
    ) -> set[tuple[int, str]]:
        if not rows:
            return set()
        await self.prepare()
        keys = list(map(_EVENT_KEY, rows))  # (customer_id: int, event_id: str) of each row
        order = sorted(range(len(rows)), key=keys.__getitem__)
        ordered = [rows[i] for i in order]
        async with self._lock:
            # A clock that never repeats or goes back in this process: ties on occurred_at
            # go to the later batch, then to the later position, as ids do in SQL.
            self._clock = clock = max(time.time_ns() // 1000, self._clock + 1)
            # The lookup runs on the server while this process writes the lines (a thread:
            # the usual batch is all new, so they are the lines sent).
            lookup = asyncio.ensure_future(self._stored_rows(keys, "customer_id, event_id"))
            try:
                body = await asyncio.to_thread(_event_lines, ordered, clock)
            finally:
                found = await lookup
            fresh = set(keys)
            if found:
                fresh -= {(int(customer_id), event_id) for customer_id, event_id in found}
                body = _event_lines(
                    [r for i, r in zip(order, ordered, strict=True) if keys[i] in fresh], clock
                )
            if fresh:
                await self.client.insert_text(f"{self.db}.usage_event", _INSERT_COLUMNS, body)
        return fresh

    async def _stored_rows(
        self, keys: Collection[tuple[int, str]], columns: str
    ) -> list[list[str]]:
        """The stored events with these keys (`columns` starts with customer_id, event_id).

        The keys go as external data. Two IN sets rather than one of pairs: 18.16 narrows
        the primary key (customer_id, event_id) to the batch's customers with them, and
        reads the whole table with a set of pairs (2.8 s against 0.4 s at 20M events); a
        customer paired with another's event ID is dropped here."""
        found = await self.client.rows_with(
            f"SELECT {columns} FROM {self.db}.usage_event "
            "WHERE customer_id IN (SELECT customer_id FROM batch_keys) "
            "AND event_id IN (SELECT event_id FROM batch_keys)",
            "batch_keys",
            "customer_id Int64, event_id String",
            "".join([f"{customer}\t{tsv_text(event_id)}\n" for customer, event_id in keys]),
        )
        wanted = keys if isinstance(keys, (set, frozenset)) else set(keys)
        return [row for row in found if (int(row[0]), row[1]) in wanted]

    async def stored_events(
        self, session: AsyncSession, keys: Collection[tuple[int, str]]
    ) -> dict[tuple[int, str], StoredEvent]:
        if not keys:
            return {}
        await self.prepare()
        wanted = set(keys)
        found: dict[tuple[int, str], StoredEvent] = {}
        columns = "customer_id, event_id, metric_id, occurred_us, value_text, unique_value, "
        columns += "group_key, properties"
        for row in await self._stored_rows(wanted, columns):
            customer_id, event_id, metric_id, occurred, value, unique, key, properties = row
            found[(int(customer_id), event_id)] = StoredEvent(
                metric_id=int(metric_id),
                occurred_at=from_micros(int(occurred)),
                value=Decimal(value) if value else None,
                unique_value=unique or None,
                group_key=key,
                properties=orjson.loads(properties),
            )
        return found

    # ----------------------------------------------------------------------- reads

    async def aggregate_usage_many(
        self, session: AsyncSession, requests: Sequence[UsageRequest]
    ) -> list[list[UsageSnapshot]]:
        await self.prepare()
        bounds = [[(micros(s), micros(e)) for s, e in r.periods] for r in requests]
        quantities: list[list[dict[tuple[int, str], Decimal]]] = [[{} for _ in b] for b in bounds]
        values: list[list[dict[tuple[int, str], list[Decimal]]]] = [
            [defaultdict(list) for _ in b] for b in bounds
        ]
        kinds: dict[int, Aggregation] = {}
        branches: list[str] = []
        for index, (request, periods) in enumerate(zip(requests, bounds, strict=True)):
            if periods and request.metrics:
                kinds.update((mid, metric.aggregation) for mid, metric in request.metrics)
                branches.extend(self._aggregate_branches(index, request, periods))
        if branches:
            for row in await self.client.rows(" UNION ALL ".join(branches)):
                index, metric_id, key, bucket = int(row[0]), int(row[1]), row[2], int(row[3])
                quantity = _quantity(kinds[metric_id], row[4:])
                quantities[index][bucket][(metric_id, key)] = quantity

        for (index, metric_id, key), per_period in (await self._weighted(requests)).items():
            for bucket, weighted in enumerate(per_period):
                if weighted is not None:
                    quantities[index][bucket][(metric_id, key)] = weighted

        detailed: list[str] = []
        for index, (request, periods) in enumerate(zip(requests, bounds, strict=True)):
            wanted = sorted(request.detail_metric_ids & {m for m, _ in request.metrics})
            if wanted and periods:
                detailed.append(
                    f"SELECT toUInt32({index}) AS request, metric_id, group_key, "
                    f"{_bucket('occurred_us', periods)} AS bucket, value_text, occurred_us, "
                    f"ingested_us, position FROM {self.db}.usage_event_by_time "
                    f"WHERE {_events_of(request.customer_id, wanted, periods)} "
                    "AND value_text != ''"
                )
        if detailed:
            union = " UNION ALL ".join(detailed)
            query = (
                "SELECT request, metric_id, group_key, bucket, value_text "
                f"FROM ({union}) ORDER BY occurred_us, ingested_us, position"
            )
            for row in await self.client.rows(query):
                index, metric_id, key, bucket = int(row[0]), int(row[1]), row[2], int(row[3])
                values[index][bucket][(metric_id, key)].append(Decimal(row[4]))

        return [
            usage_snapshots(dict(request.metrics), by_key, amounts)
            for request, by_key, amounts in zip(requests, quantities, values, strict=True)
        ]

    async def _weighted(
        self, requests: Sequence[UsageRequest]
    ) -> dict[tuple[int, int, str], list[Decimal | None]]:
        """WEIGHTED_SUM metrics, as the SQL store reads them (store/weighted_usage.py): each
        request's gauge changes in its span and the last value before it, in one query;
        the integration is rating/weighted.py's."""
        branches: list[str] = []
        spans: dict[int, list[tuple[datetime, datetime]]] = {}
        for index, request in enumerate(requests):
            ids = sorted(
                m for m, metric in request.metrics if metric.aggregation is Aggregation.WEIGHTED_SUM
            )
            if not ids or not request.periods:
                continue
            spans[index] = [(as_utc(s), as_utc(e)) for s, e in request.periods]
            start = micros(min(s for s, _ in spans[index]))
            end = micros(max(e for _, e in spans[index]))
            where = (
                f"customer_id = {int(request.customer_id)} AND metric_id IN ({_ids(ids)}) "
                "AND value_text != ''"
            )
            order = "tuple(occurred_us, ingested_us, position)"
            branches.append(
                f"SELECT toUInt32({index}) AS request, toUInt8(0) AS opening, metric_id, "
                "group_key, occurred_us, value_text, ingested_us, position "
                f"FROM {self.db}.usage_event_by_time WHERE {where} "
                f"AND occurred_us >= {start} AND occurred_us < {end}"
            )
            branches.append(
                f"SELECT toUInt32({index}) AS request, toUInt8(1) AS opening, metric_id, "
                f"group_key, argMax(occurred_us, {order}) AS last_us, "
                f"argMax(value_text, {order}) AS last_text, toInt64(0) AS no_ingested_us, "
                f"toUInt32(0) AS no_position FROM {self.db}.usage_event_by_time "
                f"WHERE {where} AND occurred_us < {start} GROUP BY metric_id, group_key"
            )
        if not branches:
            return {}
        query = (
            "SELECT request, opening, metric_id, group_key, occurred_us, value_text "
            f"FROM ({' UNION ALL '.join(branches)}) "
            "ORDER BY occurred_us, ingested_us, position"
        )
        openings: dict[tuple[int, int, str], Decimal] = {}
        changes: dict[tuple[int, int, str], list[tuple[datetime, Decimal]]] = defaultdict(list)
        for row in await self.client.rows(query):
            key = (int(row[0]), int(row[2]), row[3])
            if int(row[1]):
                openings[key] = Decimal(row[5])
            else:
                changes[key].append((from_micros(int(row[4])), Decimal(row[5])))
        return {
            key: weighted_by_period(openings.get(key), changes.get(key, ()), spans[key[0]])
            for key in openings.keys() | changes.keys()
        }

    def _aggregate_branches(
        self, index: int, request: UsageRequest, periods: Sequence[tuple[int, int]]
    ) -> list[str]:
        """SELECTs of (request, metric_id, group_key, bucket, sum, sum scale, max, max
        scale, count, unique count, latest), every column of one type in every branch."""
        by_kind: dict[Aggregation, list[int]] = defaultdict(list)
        for metric_id, metric in request.metrics:
            by_kind[metric.aggregation].append(metric_id)
        customer = request.customer_id
        head = f"SELECT toUInt32({index}), metric_id, group_key, bucket, "
        branches = []
        rolled = sorted(m for kind in ROLLED_UP for m in by_kind.get(kind, ()))
        if rolled and all(start % HOUR_US == 0 and end % HOUR_US == 0 for start, end in periods):
            hours = [(start // 1_000_000, end // 1_000_000) for start, end in periods]
            branches.append(
                head + "toString(sumMerge(total)), toUInt64(maxMerge(max_scale)), "
                "toString(maxMerge(top)), toUInt64(argMaxMerge(top_scale)), "
                "toUInt64(countMerge(events)), toUInt64(0), '' "
                f"FROM (SELECT *, {_bucket('toUInt32(hour)', hours)} AS bucket "
                f"FROM {self.db}.usage_hourly WHERE customer_id = {customer} "
                f"AND metric_id IN ({_ids(rolled)}) AND ({_span('toUInt32(hour)', hours)})) "
                "WHERE bucket >= 0 GROUP BY metric_id, group_key, bucket"
            )
        elif rolled:
            branches.append(
                head + "toString(sum(value)), toUInt64(max(scale)), toString(max(value)), "
                "toUInt64(argMax(scale, value)), toUInt64(count()), toUInt64(0), '' "
                + self._events(customer, rolled, periods)
            )
        unique = by_kind.get(Aggregation.UNIQUE_COUNT)
        if unique:
            branches.append(
                head + "'0', toUInt64(0), '0', toUInt64(0), toUInt64(0), "
                "toUInt64(uniqExactIf(unique_value, unique_value != '')), '' "
                + self._events(customer, sorted(unique), periods)
            )
        latest = by_kind.get(Aggregation.LATEST)
        if latest:
            branches.append(
                head + "'0', toUInt64(0), '0', toUInt64(0), toUInt64(0), toUInt64(0), "
                "argMax(value_text, tuple(occurred_us, ingested_us, position)) "
                + self._events(customer, sorted(latest), periods)
            )
        return branches

    def _events(
        self, customer_id: int, metric_ids: Sequence[int], periods: Sequence[tuple[int, int]]
    ) -> str:
        return (
            f"FROM (SELECT *, {_bucket('occurred_us', periods)} AS bucket "
            f"FROM {self.db}.usage_event_by_time "
            f"WHERE {_events_of(customer_id, metric_ids, periods)}) "
            "WHERE bucket >= 0 GROUP BY metric_id, group_key, bucket"
        )


def _quantity(kind: Aggregation, fields: Sequence[str]) -> Decimal:
    total, total_scale, top, top_scale, count, unique, latest = fields
    if kind is Aggregation.SUM:
        return _with_scale(total, int(total_scale))
    if kind is Aggregation.MAX:
        return _with_scale(top, int(top_scale))
    if kind is Aggregation.COUNT:
        return Decimal(count)
    if kind is Aggregation.UNIQUE_COUNT:
        return Decimal(unique)
    return _plain(latest)


def _ids(ids: Sequence[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def _events_of(
    customer_id: int, metric_ids: Sequence[int], periods: Sequence[tuple[int, int]]
) -> str:
    return (
        f"customer_id = {int(customer_id)} AND metric_id IN ({_ids(metric_ids)}) "
        f"AND ({_span('occurred_us', periods)})"
    )


def _bucket(column: str, periods: Sequence[tuple[int, int]]) -> str:
    """The period's index for `column`, -1 outside every period."""
    cases = ", ".join(
        f"{column} >= {start} AND {column} < {end}, {index}"
        for index, (start, end) in enumerate(periods)
    )
    return f"toInt32(multiIf({cases}, -1))"


def _span(column: str, periods: Sequence[tuple[int, int]]) -> str:
    """Back-to-back periods as one range (one primary-key range), gaps left out."""
    merged: list[tuple[int, int]] = []
    for start, end in periods:
        if merged and merged[-1][1] >= start:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return " OR ".join(f"({column} >= {start} AND {column} < {end})" for start, end in merged)


def _event_lines(rows: Sequence[Mapping[str, Any]], clock: int) -> str:
    return "".join([_event_line(row, clock, position) for position, row in enumerate(rows)])


def _event_line(row: Mapping[str, Any], clock: int, position: int) -> str:
    """One TabSeparated line of usage_event; numbers and decimal text need no escaping."""
    value: Decimal | None = row.get("value")
    properties = tsv_json(json_text(row.get("properties") or {}))
    return (
        f"{int(row['customer_id'])}\t{tsv_text(row['event_id'])}\t"
        f"{int(row['metric_id'])}\t{micros(row['occurred_at'])}\t"
        f"{'' if value is None else format(value, 'f')}\t"
        f"{tsv_text(row.get('unique_value') or '')}\t"
        f"{tsv_text(row.get('group_key', ''))}\t{properties}\t"
        f"{clock}\t{position}\n"
    )
