"""aggregate_usage: exact aggregates in SQL, per period and dimension group, on both backends.

Every expected value is one float or text comparison would get wrong, or one that pins a
boundary: 1,000 x "0.1" sums to exactly 100.0, MAX("9", "10") is 10, an event at a
period's end belongs to the next period, LATEST ties go to the later insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from tests.support.graphql import StatementCounter

from pricing_graph.rating.models import Aggregation, Metric
from pricing_graph.rating.usage import MetricUsage, UsageSnapshot
from pricing_graph.store.catalog import MetricRow
from pricing_graph.store.contracts import CustomerRow
from pricing_graph.store.usage_repo import UsageRequest, group_key

# Every test runs on each usage store: SQLite, PostgreSQL, ClickHouse (tests/conftest.py).
USAGE_STORES = True

JAN = datetime(2024, 1, 1, tzinfo=UTC)
FEB = datetime(2024, 2, 1, tzinfo=UTC)
MAR = datetime(2024, 3, 1, tzinfo=UTC)
APR = datetime(2024, 4, 1, tzinfo=UTC)

METRICS = {
    "tokens": (Aggregation.SUM, "tokens", ["model"]),
    "calls": (Aggregation.COUNT, None, []),
    "peak": (Aggregation.MAX, "gb", []),
    "users": (Aggregation.UNIQUE_COUNT, "user", []),
    "seats": (Aggregation.LATEST, "seats", []),
    "spend": (Aggregation.SUM, "amount", []),
}


class World:
    def __init__(self, database: Any) -> None:
        self.database = database
        self.customers: dict[str, int] = {}
        self.metric_ids: dict[str, int] = {}
        self.metrics: dict[int, Metric] = {}
        self._next = 0

    async def setup(self) -> World:
        async with self.database.sessions() as session, session.begin():
            for external_id in ("acme", "other"):
                customer = CustomerRow(external_id=external_id, name=external_id.title())
                session.add(customer)
                await session.flush()
                assert customer.id is not None
                self.customers[external_id] = customer.id
            for key, (aggregation, prop, dimensions) in METRICS.items():
                row = MetricRow(
                    key=key,
                    name=key,
                    unit_label="u",
                    aggregation=aggregation.value,
                    event_property=prop,
                    dimensions=dimensions,
                )
                session.add(row)
                await session.flush()
                assert row.id is not None
                self.metric_ids[key] = row.id
                self.metrics[row.id] = Metric(
                    key=key,
                    name=key,
                    unit_label="u",
                    aggregation=aggregation,
                    event_property=prop,
                    dimensions=tuple(dimensions),
                )
        return self

    def event(
        self,
        metric: str,
        at: datetime,
        value: str | None = None,
        *,
        customer: str = "acme",
        unique: str | None = None,
        dims: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        self._next += 1
        return {
            "customer_id": self.customers[customer],
            "metric_id": self.metric_ids[metric],
            "event_id": f"e{self._next:07d}",
            "occurred_at": at,
            "value": None if value is None else Decimal(value),
            "unique_value": unique,
            "group_key": group_key(dims or {}),
            "dimensions": dims or {},
            "properties": {},
            "ingested_at": at,
        }

    async def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        async with self.database.sessions() as session, session.begin():
            inserted = await self.database.usage.insert_events(session, rows)
        assert len(inserted) == len(rows)

    async def aggregate(
        self,
        periods: Sequence[tuple[datetime, datetime]],
        *,
        metrics: Sequence[str] | None = None,
        detail: Sequence[str] = (),
        customer: str = "acme",
    ) -> list[UsageSnapshot]:
        wanted = {
            metric_id: metric
            for metric_id, metric in self.metrics.items()
            if metrics is None or metric.key in metrics
        }
        request = UsageRequest(
            self.customers[customer],
            tuple(sorted(wanted.items())),
            tuple(periods),
            frozenset(self.metric_ids[key] for key in detail),
        )
        async with self.database.sessions() as session:
            [snapshots] = await self.database.usage.aggregate_usage_many(session, [request])
            return snapshots


def quantities(snapshot: UsageSnapshot) -> dict[tuple[str, tuple[tuple[str, str], ...]], str]:
    """metric key and group -> the quantity's exact text (so 100.0 and 100 differ)."""
    return {(u.metric_key, u.group): str(u.quantity) for u in snapshot.usage}


@pytest.fixture
async def world(database: Any) -> World:
    return await World(database).setup()


async def test_sum_of_a_thousand_tenths_is_exactly_one_hundred(world: World) -> None:
    await world.insert(
        [world.event("spend", JAN + timedelta(seconds=i), "0.1") for i in range(1000)]
    )
    [snapshot] = await world.aggregate([(JAN, FEB)])
    assert snapshot.usage == (MetricUsage(metric_key="spend", quantity=Decimal("100.0")),)
    assert str(snapshot.usage[0].quantity) == "100.0"  # a float sum gives 99.9999999999986


async def test_sum_keeps_every_digit(world: World) -> None:
    await world.insert(
        [
            world.event("spend", JAN, "123456789012.123456789012"),
            world.event("spend", JAN, "0.000000000001"),
            world.event("spend", JAN, "99999999999999999999.999999999999"),
        ]
    )
    [snapshot] = await world.aggregate([(JAN, FEB)])
    assert quantities(snapshot) == {("spend", ()): "100000000123456789012.123456789012"}


async def test_round_sums_come_back_as_plain_digits(world: World) -> None:
    big = "60000000000000000000", "40000000000000000000"
    await world.insert([world.event("spend", JAN, v) for v in big])
    await world.insert([world.event("seats", JAN, "1" + "0" * 24)])
    [snapshot] = await world.aggregate([(JAN, FEB)])
    assert quantities(snapshot) == {  # never "1E+20"
        ("seats", ()): "1000000000000000000000000",
        ("spend", ()): "100000000000000000000",
    }


async def test_max_is_numeric_not_text_order(world: World) -> None:
    await world.insert(
        [
            world.event("peak", JAN, "9"),
            world.event("peak", JAN, "10"),
            world.event("peak", JAN, "9.99999999999"),
            world.event("peak", JAN, "2"),
        ]
    )
    [snapshot] = await world.aggregate([(JAN, FEB)])
    assert quantities(snapshot) == {("peak", ()): "10"}  # text order would say 9.99999999999


async def test_max_keeps_a_long_fraction(world: World) -> None:
    await world.insert(
        [
            world.event("peak", JAN, "123456789012.123456789012"),
            world.event("peak", JAN, "123456789012.123456789011"),
        ]
    )
    [snapshot] = await world.aggregate([(JAN, FEB)])
    assert quantities(snapshot) == {("peak", ()): "123456789012.123456789012"}


async def test_count_unique_count_and_latest(world: World) -> None:
    noon = JAN + timedelta(days=3, hours=12)
    await world.insert(
        [
            *[world.event("calls", JAN + timedelta(minutes=i)) for i in range(7)],
            world.event("users", JAN, unique="u1"),
            world.event("users", JAN, unique="u2"),
            world.event("users", JAN, unique="u1"),
            world.event("users", JAN, unique="U1"),
            world.event("seats", noon - timedelta(days=1), "50"),
            world.event("seats", noon, "12"),
            world.event("seats", noon, "7"),  # same moment, inserted later: wins the tie
            world.event("seats", noon - timedelta(hours=1), "99"),
        ]
    )
    [snapshot] = await world.aggregate([(JAN, FEB)])
    assert quantities(snapshot) == {
        ("calls", ()): "7",
        ("seats", ()): "7",
        ("users", ()): "3",
    }


async def test_latest_ties_go_to_the_highest_id_whatever_the_insert_order(world: World) -> None:
    first = world.event("seats", JAN, "5")
    second = world.event("seats", JAN, "3")
    # insert_events writes rows in event ID order, so "3" (e0000002) gets the higher id
    await world.insert([second, first])
    [snapshot] = await world.aggregate([(JAN, FEB)])
    assert quantities(snapshot) == {("seats", ()): "3"}


async def test_groups_by_dimension_values(world: World) -> None:
    await world.insert(
        [
            world.event("tokens", JAN, "100", dims={"model": "gpt-4"}),
            world.event("tokens", JAN, "0.5", dims={"model": "gpt-4"}),
            world.event("tokens", JAN, "30", dims={"model": "claude"}),
            world.event("tokens", JAN, "1"),
            world.event("tokens", JAN, "2", dims={"model": 'é "quoted"'}),
        ]
    )
    [snapshot] = await world.aggregate([(JAN, FEB)])
    assert snapshot.usage == (
        MetricUsage(metric_key="tokens", quantity=Decimal("1"), group=()),
        MetricUsage(metric_key="tokens", quantity=Decimal("30"), group=(("model", "claude"),)),
        MetricUsage(metric_key="tokens", quantity=Decimal("100.5"), group=(("model", "gpt-4"),)),
        MetricUsage(metric_key="tokens", quantity=Decimal("2"), group=(("model", 'é "quoted"'),)),
    )


async def test_periods_are_half_open_and_bucketed_in_one_statement(world: World) -> None:
    tick = timedelta(microseconds=1)
    await world.insert(
        [
            world.event("spend", JAN - tick, "1000"),  # before the first period
            world.event("spend", JAN, "1"),  # first instant of January
            world.event("spend", FEB - tick, "2"),  # last instant of January
            world.event("spend", FEB, "4"),  # exactly at January's end: February
            world.event("spend", MAR - tick, "8"),
            world.event("spend", MAR, "16"),  # in the gap between the periods
            world.event("spend", APR - tick, "32"),
            world.event("spend", APR, "64"),  # after the last period
            world.event("calls", FEB),
        ]
    )
    periods = [(JAN, FEB), (FEB, MAR), (MAR + timedelta(days=1), APR)]
    with StatementCounter(world.database) as counter:
        snapshots = await world.aggregate(periods)
    assert [quantities(s) for s in snapshots] == [
        {("spend", ()): "3"},
        {("calls", ()): "1", ("spend", ()): "12"},
        {("spend", ()): "32"},
    ]
    assert counter.count == 1


async def test_period_bounds_in_another_offset_mean_the_same_instants(world: World) -> None:
    await world.insert(
        [world.event("spend", FEB - timedelta(hours=1), "1"), world.event("spend", FEB, "2")]
    )
    plus_two = timezone(timedelta(hours=2))
    start, end = JAN.astimezone(plus_two), FEB.astimezone(plus_two)
    [snapshot] = await world.aggregate([(start, end)])
    assert quantities(snapshot) == {("spend", ()): "1"}


async def test_only_the_customer_and_the_metrics_asked_for(world: World) -> None:
    await world.insert(
        [
            world.event("spend", JAN, "1"),
            world.event("spend", JAN, "500", customer="other"),
            world.event("calls", JAN),
            world.event("peak", JAN, "3", customer="other"),
        ]
    )
    [snapshot] = await world.aggregate([(JAN, FEB)], metrics=["spend", "peak", "users"])
    assert quantities(snapshot) == {("spend", ()): "1"}  # no calls, no peak, no users
    [other] = await world.aggregate([(JAN, FEB)], customer="other")
    assert quantities(other) == {("peak", ()): "3", ("spend", ()): "500"}


async def test_no_events_no_periods_no_metrics(world: World) -> None:
    assert await world.aggregate([(JAN, FEB), (FEB, MAR)]) == [UsageSnapshot(), UsageSnapshot()]
    assert await world.aggregate([]) == []
    assert await world.aggregate([(JAN, FEB)], metrics=[]) == [UsageSnapshot()]


async def test_detail_values_in_time_order_per_period_and_group(world: World) -> None:
    await world.insert(
        [
            world.event("spend", JAN + timedelta(days=2), "0.30"),
            world.event("spend", JAN + timedelta(days=1), "123456789012.123456789012"),
            world.event("spend", FEB + timedelta(days=1), "5"),
            world.event("tokens", JAN + timedelta(days=5), "7", dims={"model": "a"}),
            world.event("tokens", JAN + timedelta(days=4), "6", dims={"model": "a"}),
            world.event("tokens", JAN + timedelta(days=3), "9", dims={"model": "b"}),
            world.event("peak", JAN, "4"),
        ]
    )
    with StatementCounter(world.database) as counter:
        jan, feb = await world.aggregate([(JAN, FEB), (FEB, MAR)], detail=["spend", "tokens"])
    assert counter.count == 2
    january = Decimal("123456789012.123456789012"), Decimal("0.30")
    assert jan.usage == (
        MetricUsage(metric_key="peak", quantity=Decimal("4")),  # not a detail metric
        MetricUsage(
            metric_key="spend",
            quantity=Decimal("123456789012.423456789012"),
            transactions=january,
            event_costs=january,
        ),
        MetricUsage(
            metric_key="tokens",
            quantity=Decimal("13"),
            group=(("model", "a"),),
            transactions=(Decimal("6"), Decimal("7")),
            event_costs=(Decimal("6"), Decimal("7")),
        ),
        MetricUsage(
            metric_key="tokens",
            quantity=Decimal("9"),
            group=(("model", "b"),),
            transactions=(Decimal("9"),),
            event_costs=(Decimal("9"),),
        ),
    )
    assert [str(t) for t in jan.usage[1].transactions] == ["123456789012.123456789012", "0.30"]
    assert feb.usage == (
        MetricUsage(
            metric_key="spend",
            quantity=Decimal("5"),
            transactions=(Decimal("5"),),
            event_costs=(Decimal("5"),),
        ),
    )


async def test_many_periods_sum_exactly_in_each(world: World) -> None:
    days = [(JAN + timedelta(days=d), JAN + timedelta(days=d + 1)) for d in range(36)]
    await world.insert(
        [
            world.event("spend", start + timedelta(hours=h), "0.01")
            for d, (start, _) in enumerate(days)
            for h in range(d % 5)
        ]
    )
    snapshots = await world.aggregate(days)
    assert [quantities(s).get(("spend", ()), "-") for s in snapshots] == [
        ["-", "0.01", "0.02", "0.03", "0.04"][d % 5] for d in range(36)
    ]


async def test_every_aggregation_at_once_over_two_periods_is_one_statement(world: World) -> None:
    day = timedelta(days=1)
    await world.insert(
        [
            world.event("spend", JAN, "0.1"),
            world.event("spend", JAN + day, "0.2"),
            world.event("spend", FEB, "0.3"),
            world.event("peak", JAN, "9"),
            world.event("peak", JAN + day, "10"),
            world.event("peak", FEB, "8.5"),
            world.event("calls", JAN),
            world.event("calls", FEB),
            world.event("calls", FEB + day),
            world.event("users", JAN, unique="a"),
            world.event("users", FEB, unique="a"),
            world.event("users", FEB, unique="b"),
            world.event("seats", JAN + day, "4"),
            world.event("seats", JAN, "6"),
            world.event("seats", FEB, "1"),
            world.event("tokens", FEB, "3", dims={"model": "m"}),
        ]
    )
    with StatementCounter(world.database) as counter:
        jan, feb = await world.aggregate([(JAN, FEB), (FEB, MAR)])
    assert counter.count == 1
    assert quantities(jan) == {
        ("calls", ()): "1",
        ("peak", ()): "10",
        ("seats", ()): "4",
        ("spend", ()): "0.3",
        ("users", ()): "1",
    }
    assert quantities(feb) == {
        ("calls", ()): "2",
        ("peak", ()): "8.5",
        ("seats", ()): "1",
        ("spend", ()): "0.3",
        ("tokens", (("model", "m"),)): "3",
        ("users", ()): "2",
    }
