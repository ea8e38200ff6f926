"""The reads behind WEIGHTED_SUM metrics: a gauge's changes, with the value it had before.

A period's time-weighted quantity needs the last value reported before the period starts
(carried over) and every change inside it. One statement per call reads both, for every
request, metric and dimension group: the changes in the requests' span, and (a window
ranking the earlier events newest first) the single last event before it. The integration
itself is pure arithmetic and lives in `rating/weighted.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from pricing_graph.rating.weighted import Change, weighted_by_period
from pricing_graph.store.types import as_utc, exact_decimal
from pricing_graph.store.usage import UsageEventRow

EVENTS = UsageEventRow.__table__  # type: ignore[attr-defined]

#: (request index, metric id, group key) -> quantity per period (None: no value known).
WeightedQuantities = dict[tuple[int, int, str], list[Decimal | None]]


def _branches(
    index: int, customer_id: int, metric_ids: Sequence[int], start: datetime, end: datetime
) -> list[Select[Any]]:
    base = (
        EVENTS.c.customer_id == customer_id,
        EVENTS.c.metric_id.in_(metric_ids),
        EVENTS.c.value.is_not(None),
    )
    inside = select(
        literal_column(str(index)).label("request"),
        literal_column("0").label("opening"),
        EVENTS.c.metric_id,
        EVENTS.c.group_key,
        EVENTS.c.occurred_at,
        EVENTS.c.value,
        EVENTS.c.id,
    ).where(*base, EVENTS.c.occurred_at >= start, EVENTS.c.occurred_at < end)
    rank = (
        func.row_number()
        .over(
            partition_by=(EVENTS.c.metric_id, EVENTS.c.group_key),
            order_by=(EVENTS.c.occurred_at.desc(), EVENTS.c.id.desc()),
        )
        .label("rank")
    )
    earlier = (
        select(
            EVENTS.c.metric_id,
            EVENTS.c.group_key,
            EVENTS.c.occurred_at,
            EVENTS.c.value,
            EVENTS.c.id,
            rank,
        )
        .where(*base, EVENTS.c.occurred_at < start)
        .subquery()
    )
    last_before = select(
        literal_column(str(index)).label("request"),
        literal_column("1").label("opening"),
        earlier.c.metric_id,
        earlier.c.group_key,
        earlier.c.occurred_at,
        earlier.c.value,
        earlier.c.id,
    ).where(earlier.c.rank == 1)
    return [inside, last_before]


async def weighted_quantities(
    connection: AsyncConnection,
    requests: Sequence[tuple[int, Sequence[int], Sequence[tuple[datetime, datetime]]]],
) -> WeightedQuantities:
    """For each (customer_id, WEIGHTED_SUM metric ids, periods) request, the value-hours of
    every (metric, group) with a known value, per period; one statement for all."""
    branches: list[Select[Any]] = []
    for index, (customer_id, metric_ids, periods) in enumerate(requests):
        if metric_ids and periods:
            start = min(s for s, _ in periods)
            end = max(e for _, e in periods)
            branches.extend(_branches(index, customer_id, metric_ids, start, end))
    if not branches:
        return {}
    union = union_all(*branches).subquery()
    statement = select(*union.c).order_by(union.c.occurred_at, union.c.id)
    openings: dict[tuple[int, int, str], Decimal] = {}
    changes: dict[tuple[int, int, str], list[Change]] = defaultdict(list)
    for request, opening, metric_id, group_key, occurred_at, value, _ in await connection.execute(
        statement
    ):
        key = (int(request), metric_id, group_key)
        if int(opening):
            openings[key] = exact_decimal(value)
        else:
            changes[key].append((as_utc(occurred_at), exact_decimal(value)))
    found: WeightedQuantities = {}
    for key in openings.keys() | changes.keys():
        periods = requests[key[0]][2]
        found[key] = weighted_by_period(openings.get(key), changes.get(key, ()), periods)
    return found
