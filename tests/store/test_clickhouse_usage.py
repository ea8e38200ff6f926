"""The ClickHouse usage store: the SQL store's answers for random data, digit for digit; the
events it cannot keep exactly refused by field; its URL setting; an idempotent schema.

Runs where tests/conftest.py finds a ClickHouse server (skipped with the reason elsewhere,
failed under CI=true); the catalog, and the SQL store compared with, are on SQLite.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from pricing_graph.api.context import Database
from pricing_graph.cli import main
from pricing_graph.rating.models import Aggregation, Metric
from pricing_graph.rating.usage import UsageSnapshot
from pricing_graph.services.actor import SYSTEM
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.services.usage import UsageEvent, ingest_events
from pricing_graph.settings import Settings, SettingsError
from pricing_graph.store.catalog import MetricRow
from pricing_graph.store.clickhouse.usage import ClickHouseUsageStore
from pricing_graph.store.contracts import CustomerRow
from pricing_graph.store.usage_repo import UsageRequest, group_key
from pricing_graph.store.usage_store import SqlUsageStore, connect_usage_store

on_clickhouse = pytest.mark.parametrize("database_url", ["clickhouse"], indirect=True)

JAN = datetime(2024, 1, 1, tzinfo=UTC)
METRICS = {
    "tokens": (Aggregation.SUM, "tokens", ["model", "region"]),
    "spend": (Aggregation.SUM, "amount", []),
    "calls": (Aggregation.COUNT, None, ["model"]),
    "peak": (Aggregation.MAX, "gb", ["region"]),
    "users": (Aggregation.UNIQUE_COUNT, "user", ["region"]),
    "seats": (Aggregation.LATEST, "seats", ["model"]),
}
VALUES = {"model": ["a", "b", 'é "q"'], "region": ["eu", "us"]}


async def _catalog(database: Database) -> tuple[list[int], dict[int, Metric]]:
    customers: list[int] = []
    metrics: dict[int, Metric] = {}
    async with database.sessions() as session, session.begin():
        for external_id in ("c1", "c2"):
            customer = CustomerRow(external_id=external_id, name=external_id)
            session.add(customer)
            await session.flush()
            assert customer.id is not None
            customers.append(customer.id)
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
            metrics[row.id] = Metric(
                key=key,
                name=key,
                unit_label="u",
                aggregation=aggregation,
                event_property=prop,
                dimensions=tuple(dimensions),
            )
    return customers, metrics


def _random_rows(
    rng: random.Random, customers: Sequence[int], metrics: dict[int, Metric], count: int
) -> list[dict[str, Any]]:
    rows = []
    moments = [JAN + timedelta(microseconds=rng.randrange(90 * 86_400_000_000)) for _ in range(40)]
    for number in range(count):
        metric_id = rng.choice(sorted(metrics))
        metric = metrics[metric_id]
        dims = {name: rng.choice(VALUES[name]) for name in metric.dimensions if rng.random() < 0.7}
        whole = rng.choice([0, 1, 9, 10, 999, 10**15, rng.randrange(10**20)])
        places = rng.choice([0, 1, 2, 5, 12])
        fraction = rng.randrange(10**places) if places else 0
        value = Decimal(f"{whole}.{fraction:0{places}d}") if places else Decimal(whole)
        unique = None
        if metric.aggregation is Aggregation.UNIQUE_COUNT:
            unique, value = rng.choice(["u1", "u2", "U1", "u3", "x\ty"]), None
        elif metric.aggregation is Aggregation.COUNT and rng.random() < 0.5:
            value = None
        at = (
            rng.choice(moments)  # shared instants: LATEST ties
            if rng.random() < 0.3
            else JAN + timedelta(microseconds=rng.randrange(90 * 86_400_000_000))
        )
        rows.append(
            {
                "customer_id": rng.choice(customers),
                "metric_id": metric_id,
                "event_id": f"e{rng.randrange(10**9):09d}-{number}",
                "occurred_at": at,
                "value": value,
                "unique_value": unique,
                "group_key": group_key(dims),
                "dimensions": dims,
                "properties": {"n": number},
                "ingested_at": at,
            }
        )
    return rows


async def _answers(
    database: Database,
    store: Any,
    customers: Sequence[int],
    metrics: dict[int, Metric],
    periods: Sequence[tuple[datetime, datetime]],
) -> list[list[UsageSnapshot]]:
    detail = frozenset(m for m, metric in metrics.items() if metric.key in ("spend", "tokens"))
    requests = [
        UsageRequest(customer, tuple(sorted(metrics.items())), tuple(periods), detail)
        for customer in customers
    ]
    async with database.sessions() as session:
        answers: list[list[UsageSnapshot]] = await store.aggregate_usage_many(session, requests)
        return answers


@on_clickhouse
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_usage_gives_the_sql_stores_answers(database: Database, seed: int) -> None:
    rng = random.Random(seed)
    customers, metrics = await _catalog(database)
    sql = SqlUsageStore()
    assert isinstance(database.usage, ClickHouseUsageStore)
    rows = _random_rows(rng, customers, metrics, 1500)
    for start in range(0, len(rows), 400):  # several batches: LATEST ties across batches
        batch = rows[start : start + 400]
        async with database.sessions() as session, session.begin():
            assert len(await sql.insert_events(session, batch)) == len(batch)
        async with database.sessions() as session:
            assert len(await database.usage.insert_events(session, batch)) == len(batch)

    months = [(JAN, JAN + timedelta(days=31)), (JAN + timedelta(days=31), JAN + timedelta(days=60))]
    days = [(JAN + timedelta(days=d), JAN + timedelta(days=d + 1)) for d in range(0, 90, 7)]
    odd = [  # not on the hour: read from the events, not the hourly rollup
        (JAN + timedelta(days=3, minutes=17), JAN + timedelta(days=40, seconds=5)),
        (JAN + timedelta(days=41, microseconds=3), JAN + timedelta(days=80, hours=2)),
    ]
    for periods in (months, days, odd):
        expected = await _answers(database, sql, customers, metrics, periods)
        assert any(s.usage for answer in expected for s in answer)
        assert await _answers(database, database.usage, customers, metrics, periods) == expected
        # the same digits too: 100.0 is not 100, 0.30 is not 0.3
        got = await _answers(database, database.usage, customers, metrics, periods)
        assert _digits(got) == _digits(expected)


def _digits(answers: list[list[UsageSnapshot]]) -> list[Any]:
    return [
        [
            [(u.quantity.as_tuple(), [t.as_tuple() for t in u.transactions]) for u in s.usage]
            for s in answer
        ]
        for answer in answers
    ]


@on_clickhouse
async def test_what_decimal128_cannot_keep_is_refused_by_field(database: Database) -> None:
    """GraphQL's Decimal takes 12 places already; the bulk endpoint and properties do not."""
    await _catalog(database)

    def event(event_id: str, value: str | None = None, **fields: Any) -> UsageEvent:
        return UsageEvent(
            event_id=event_id,
            customer_id="c1",
            metric_key="spend",
            timestamp=fields.pop("timestamp", datetime(2024, 1, 15, 12, tzinfo=UTC)),
            value=None if value is None else Decimal(value),
            **fields,
        )

    uow = UnitOfWork(database)
    try:
        result = await ingest_events(
            uow,
            SYSTEM,
            [
                event("ok", "99999999999999999999999999.999999999999"),
                event("places", "0.0000000000001"),
                event("digits", "1" + "0" * 26),
                event("property", properties={"amount": "0.1234567890123"}),
                event("past", "1", timestamp=datetime(1969, 12, 31, 23, 59, tzinfo=UTC)),
            ],
            operation="POST /v1/usage/events",
        )
    finally:
        await uow.close()
    assert (result.accepted, result.rejected) == (1, 4), result.problems
    assert [(p.index, p.field, p.code.value) for p in result.problems] == [
        (1, "events.1.value", "INVALID_VALUE"),
        (2, "events.2.value", "INVALID_VALUE"),
        (3, "events.3.properties.amount", "INVALID_VALUE"),
        (4, "events.4.timestamp", "INVALID_VALUE"),
    ]
    assert result.problems[0].message == (
        "the ClickHouse usage store keeps at most 26 digits before the decimal point and 12 "
        "after it"
    )


@on_clickhouse
async def test_the_schema_is_created_once_and_again_safely(
    database: Database, usage_url: str
) -> None:
    again = connect_usage_store(usage_url)
    try:
        await again.prepare()  # the tables exist already: IF NOT EXISTS
        assert isinstance(again, ClickHouseUsageStore)
        tables = await again.client.rows(
            f"SELECT name, engine FROM system.tables WHERE database = '{again.db}' ORDER BY name"
        )
    finally:
        await again.close()
    assert tables == [
        ["usage_event", "ReplacingMergeTree"],
        ["usage_event_by_time", "MergeTree"],
        ["usage_event_by_time_mv", "MaterializedView"],
        ["usage_hourly", "AggregatingMergeTree"],
        ["usage_hourly_mv", "MaterializedView"],
    ]


@on_clickhouse
def test_migrate_prepares_the_usage_store(
    database_url: str,
    usage_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PRICING_GRAPH_DATABASE_URL", database_url)
    monkeypatch.setenv("PRICING_GRAPH_USAGE_URL", usage_url)
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert out.count(f"usage store {usage_url}: tables and views ready") == 2


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql://u:secret@h/db", "the scheme must be clickhouse:// or clickhouses://"),
        ("clickhouse://u:secret@h:99999/db", "the port must be a number from 1 to 65535"),
        ("clickhouse://u:secret@h:8123/", "the path must be one database name"),
        ("clickhouse://u:secret@h/a-b", "the path must be one database name"),
        ("clickhouse://u:secret@h/db?x=1", "no query string or fragment is read"),
    ],
)
def test_the_usage_url_is_checked_and_its_password_never_shown(url: str, problem: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"PRICING_GRAPH_USAGE_URL": url})
    message = str(refused.value)
    assert message.startswith("PRICING_GRAPH_USAGE_URL must be clickhouse://")
    assert problem in message
    assert "secret" not in message and "u:***@h" in message


def test_a_good_usage_url() -> None:
    url = "clickhouse://reader:s%40cret@10.0.0.5:8123/usage"
    settings = Settings.from_env({"PRICING_GRAPH_USAGE_URL": url})
    assert settings.usage_url == url
    assert settings.masked_usage_url == "clickhouse://reader:***@10.0.0.5:8123/usage"
    assert Settings.from_env({}).usage_url == ""


def test_an_unreachable_usage_store_is_one_line_and_exit_1(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PRICING_GRAPH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    monkeypatch.setenv("PRICING_GRAPH_USAGE_URL", f"clickhouse://u:secret@127.0.0.1:{port}/usage")
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"pricing-graph migrate: cannot prepare the usage store clickhouse://u:***@127.0.0.1:"
        f"{port}/usage (ClickHouse unreachable: ConnectError)\n"
    )
