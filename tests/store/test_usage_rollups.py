"""Hourly rollups answer SUM, COUNT and MAX exactly as the events do, on both backends.

Random events (seeded, so a failure replays) over three months, two customers, every
aggregation and every dimension grouping, sent in batches with replays and late events;
then every request is answered twice, from the rollups and from the events alone, and the
answers must be equal. The other tests pin what makes that true: a replay never counts
twice, a late event lands in its hour, the rollups (not the events) are what is read, a
bound off the hour reads the events, and the migration rebuilds the rollups of existing
events exactly as ingestion keeps them.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from pricing_graph.rating.models import Aggregation, Metric
from pricing_graph.rating.usage import UsageSnapshot
from pricing_graph.store.catalog import MetricRow
from pricing_graph.store.contracts import CustomerRow
from pricing_graph.store.migrate import alembic_config, downgrade, upgrade
from pricing_graph.store.usage_repo import (
    UsageRequest,
    aggregate_usage_many,
    aggregate_usage_many_from_events,
    group_key,
    insert_events,
)
from pricing_graph.store.usage_rollup import ROLLUPS

R = ROLLUPS.c

JAN = datetime(2024, 1, 1, tzinfo=UTC)
FEB = datetime(2024, 2, 1, tzinfo=UTC)
MAR = datetime(2024, 3, 1, tzinfo=UTC)
APR = datetime(2024, 4, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)

DIMENSIONS = ("model", "region")
METRICS = {
    "tokens": Aggregation.SUM,
    "calls": Aggregation.COUNT,
    "peak": Aggregation.MAX,
    "users": Aggregation.UNIQUE_COUNT,
    "seats": Aggregation.LATEST,
}
# A few values whose float or text handling would go wrong, and random ones of every scale.
TRICKY = ("0.1", "0.10", "9", "10", "1E+2", "123456789012.123456789012", "0", "0.000001")


class Usage:
    def __init__(self, database: Any, seed: int) -> None:
        self.database = database
        self.random = random.Random(seed)
        self.customers: list[int] = []
        self.metrics: dict[int, Metric] = {}
        self.events: list[dict[str, Any]] = []

    async def setup(self) -> Usage:
        async with self.database.sessions() as session, session.begin():
            for external_id in ("acme", "other"):
                customer = CustomerRow(external_id=external_id, name=external_id)
                session.add(customer)
                await session.flush()
                assert customer.id is not None
                self.customers.append(customer.id)
            for key, aggregation in METRICS.items():
                row = MetricRow(
                    key=key,
                    name=key,
                    unit_label="u",
                    aggregation=aggregation.value,
                    event_property="v",
                    dimensions=list(DIMENSIONS),
                )
                session.add(row)
                await session.flush()
                assert row.id is not None
                self.metrics[row.id] = Metric(
                    key=key,
                    name=key,
                    unit_label="u",
                    aggregation=aggregation,
                    event_property="v",
                    dimensions=DIMENSIONS,
                )
        return self

    def moment(self) -> datetime:
        pick = self.random.random()
        if pick < 0.15:  # exactly on an hour, often on a midnight or a month's start
            return JAN + HOUR * self.random.randrange(0, 91 * 24)
        if pick < 0.2:
            return self.random.choice((FEB, MAR, APR - timedelta(microseconds=1)))
        return JAN + timedelta(microseconds=self.random.randrange(0, 91 * 86_400 * 10**6))

    def value(self) -> Decimal:
        if self.random.random() < 0.3:
            return Decimal(self.random.choice(TRICKY))
        scale = self.random.randrange(0, 7)
        return Decimal(self.random.randrange(0, 10**9)).scaleb(-scale)

    def event(self) -> dict[str, Any]:
        metric_id = self.random.choice(sorted(self.metrics))
        aggregation = self.metrics[metric_id].aggregation
        dims = {
            name: self.random.choice(("a", "b", "c"))
            for name in DIMENSIONS
            if self.random.random() < 0.5
        }
        value: Decimal | None = self.value()
        unique = None
        if aggregation is Aggregation.UNIQUE_COUNT:
            value, unique = None, f"u{self.random.randrange(40)}"
        elif aggregation is Aggregation.COUNT and self.random.random() < 0.5:
            value = None
        return {
            "customer_id": self.random.choice(self.customers),
            "metric_id": metric_id,
            "event_id": f"e{len(self.events):06d}",
            "occurred_at": self.moment(),
            "value": value,
            "unique_value": unique,
            "group_key": group_key(dims),
            "dimensions": dims,
            "properties": {},
            "ingested_at": JAN,
        }

    async def send(self, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
        async with self.database.sessions() as session, session.begin():
            return await insert_events(session, rows)

    async def ingest(self, count: int, batches: int) -> None:
        fresh = []
        for _ in range(count):
            fresh.append(self.event())
            self.events.append(fresh[-1])
        size = -(-count // batches)
        for start in range(0, count, size):
            batch = fresh[start : start + size]
            # replays of events stored earlier (by this batch's predecessors) ride along
            earlier = self.events[: len(self.events) - count + start]
            replays = self.random.sample(earlier, min(len(earlier), 20))
            inserted = await self.send(batch + replays)
            assert len(inserted) == len(batch)

    def requests(self) -> list[UsageRequest]:
        every = tuple(sorted(self.metrics.items()))
        monthly = ((JAN, FEB), (FEB, MAR), (MAR, APR))
        days = tuple((JAN + timedelta(days=d), JAN + timedelta(days=d + 1)) for d in range(45))
        sum_metric = next(m for m, metric in every if metric.aggregation is Aggregation.SUM)
        requests = []
        for customer_id in self.customers:
            requests += [
                UsageRequest(customer_id, every, monthly),
                UsageRequest(customer_id, every, ((JAN, APR),)),
                UsageRequest(customer_id, every, days, frozenset({sum_metric})),
                UsageRequest(customer_id, every, ((FEB + HOUR * 5, FEB + HOUR * 29),)),
            ]
            for metric_id, metric in every:  # each aggregation on its own
                requests.append(UsageRequest(customer_id, ((metric_id, metric),), monthly))
        return requests

    async def answers(self, *, rollups: bool) -> list[list[UsageSnapshot]]:
        read = aggregate_usage_many if rollups else aggregate_usage_many_from_events
        async with self.database.sessions() as session:
            return await read(session, self.requests())

    async def rollup_rows(self) -> list[tuple[Any, ...]]:
        async with self.database.sessions() as session:
            connection = await session.connection()
            keys = (R.customer_id, R.metric_id, R.hour, R.group_key)
            statement = select(*keys, R.event_count, R.value_sum, R.value_max).order_by(*keys)
            return [tuple(row) for row in await connection.execute(statement)]


def exact(answers: list[list[UsageSnapshot]]) -> list[Any]:
    """Every quantity as text, so 100.0 against 100 would show."""
    return [
        [[(u.metric_key, u.group, str(u.quantity), u.transactions) for u in s.usage] for s in r]
        for r in answers
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_rollups_answer_what_the_events_answer(database: Any, seed: int) -> None:
    usage = await Usage(database, seed).setup()
    await usage.ingest(1200, batches=4)
    from_rollups = await usage.answers(rollups=True)
    from_events = await usage.answers(rollups=False)
    assert from_rollups == from_events
    assert sum(len(s.usage) for r in from_rollups for s in r) > 200  # not an empty comparison
    # SUM and COUNT keep their exact digits; MAX is the same number (of equal values such
    # as 0.1 and 0.10 either may be the largest, as it may among the events)
    assert [
        [[q for q in s if METRICS[q[0]] is not Aggregation.MAX] for s in r]
        for r in exact(from_rollups)
    ] == [
        [[q for q in s if METRICS[q[0]] is not Aggregation.MAX] for s in r]
        for r in exact(from_events)
    ]


async def test_a_replay_counts_once_and_a_late_event_updates_its_hour(database: Any) -> None:
    usage = await Usage(database, 7).setup()
    await usage.ingest(300, batches=2)
    before = await usage.rollup_rows()
    assert await usage.send(usage.events) == set()  # every one a replay
    assert await usage.rollup_rows() == before

    late = dict(usage.events[0], event_id="late", value=Decimal("2.5"))
    if late["unique_value"] is not None:
        late["unique_value"] = "late"
    hour = late["occurred_at"].replace(minute=0, second=0, microsecond=0)
    assert await usage.send([late]) == {(late["customer_id"], "late")}
    after = {row[:4]: row[4:] for row in await usage.rollup_rows()}
    key = (late["customer_id"], late["metric_id"], hour, late["group_key"])
    assert after[key][0] == {row[:4]: row[4:] for row in before}[key][0] + 1
    assert await usage.answers(rollups=True) == await usage.answers(rollups=False)


async def test_the_rollups_are_what_is_read(database: Any) -> None:
    usage = await Usage(database, 11).setup()
    await usage.ingest(400, batches=1)
    sum_metric = next(m for m, x in usage.metrics.items() if x.aggregation is Aggregation.SUM)
    one = [
        UsageRequest(usage.customers[0], ((sum_metric, usage.metrics[sum_metric]),), ((JAN, APR),))
    ]
    async with database.sessions() as session:
        expected = await aggregate_usage_many(session, one)
    async with database.sessions() as session, session.begin():
        await (await session.connection()).execute(text("DELETE FROM usage_event"))
    async with database.sessions() as session:
        assert await aggregate_usage_many(session, one) == expected  # the hours answer
        assert await aggregate_usage_many_from_events(session, one) == [[UsageSnapshot()]]
        # a bound off the hour reads the events (gone here)
        off = [UsageRequest(one[0].customer_id, one[0].metrics, ((JAN + HOUR / 2, APR),))]
        assert await aggregate_usage_many(session, off) == [[UsageSnapshot()]]


async def test_the_migration_rolls_up_the_events_already_stored(
    database: Any, database_url: str
) -> None:
    usage = await Usage(database, 5).setup()
    await usage.ingest(500, batches=3)
    kept = await usage.rollup_rows()
    await database.engine.dispose()
    await asyncio.to_thread(downgrade, database_url, _before_rollups())
    await asyncio.to_thread(upgrade, database_url)
    assert await usage.rollup_rows() == kept
    # and ingestion goes on adding to the same hour rows
    again = dict(usage.events[1], event_id="after-migration")
    if again["unique_value"] is not None:
        again["unique_value"] = "after"
    await usage.send([again])
    assert len(await usage.rollup_rows()) == len(kept)
    assert await usage.answers(rollups=True) == await usage.answers(rollups=False)


def _before_rollups() -> str:
    """The revision before the one that creates usage_rollup (whatever its number)."""
    scripts = ScriptDirectory.from_config(alembic_config("")).walk_revisions()
    [script] = [s for s in scripts if s.path.endswith("_usage_rollups.py")]
    assert isinstance(script.down_revision, str)
    return script.down_revision


async def test_the_same_event_twice_in_one_insert_is_stored_and_rolled_up_once(
    database: Any,
) -> None:
    usage = await Usage(database, 13).setup()
    event = usage.event()
    assert await usage.send([event, dict(event)]) == {(event["customer_id"], event["event_id"])}
    [row] = await usage.rollup_rows()
    assert row[4] == 1
