"""store/plans.py: an ingestion batch's statements run on generic plans (PostgreSQL), the
connection's own mode comes back when asked for, and never outlives the transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from pricing_graph.store import plans
from pricing_graph.store.catalog import MetricRow
from pricing_graph.store.contracts import CustomerRow
from pricing_graph.store.usage_repo import insert_events


async def _mode(session: Any) -> str | None:
    if session.bind.dialect.name != "postgresql":
        return None
    connection = await session.connection()
    return str((await connection.execute(text("SHOW plan_cache_mode"))).scalar_one())


def _row(customer_id: int, metric_id: int, event_id: str) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "metric_id": metric_id,
        "event_id": event_id,
        "occurred_at": datetime(2026, 1, 5, 10, tzinfo=UTC),
        "value": Decimal("1.5"),
        "unique_value": None,
        "group_key": "",
        "dimensions": {},
        "properties": {},
        "ingested_at": datetime(2026, 1, 5, 11, tzinfo=UTC),
    }


async def test_generic_plans_hold_until_asked_back_and_end_with_the_transaction(
    database: Any,
) -> None:
    postgres = database.engine.dialect.name == "postgresql"
    async with database.sessions() as session:
        async with session.begin():
            customer = CustomerRow(external_id="acme", name="Acme")
            metric = MetricRow(key="tokens", name="T", unit_label="t", aggregation="SUM")
            session.add_all([customer, metric])
            await session.flush()
            assert customer.id is not None and metric.id is not None
            ids = (customer.id, metric.id)

        async with session.begin():
            assert await _mode(session) == ("force_custom_plan" if postgres else None)
            await plans.generic_plans(session)
            assert plans.on_generic_plans(session) is postgres
            assert await _mode(session) == ("force_generic_plan" if postgres else None)
            # inside a batch, the insert leaves the batch's setting alone
            assert await insert_events(session, [_row(*ids, "e1")]) == {(ids[0], "e1")}
            assert await _mode(session) == ("force_generic_plan" if postgres else None)
            await plans.own_plans(session)
            assert not plans.on_generic_plans(session)
            assert await _mode(session) == ("force_custom_plan" if postgres else None)

        async with session.begin():
            await plans.generic_plans(session)
        async with session.begin():  # SET LOCAL ended with the last transaction
            assert not plans.on_generic_plans(session)
            assert await _mode(session) == ("force_custom_plan" if postgres else None)
            # alone, the insert sets generic plans for itself and turns them off again
            assert await insert_events(session, [_row(*ids, "e2")]) == {(ids[0], "e2")}
            assert not plans.on_generic_plans(session)
            assert await _mode(session) == ("force_custom_plan" if postgres else None)
