"""Listing contracts with their customer, plan and invoice preview costs the same number of
SQL statements for 1 contract as for 50: every level, usage aggregation included, is batched."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete
from sqlmodel import select
from tests.support.graphql import StatementCounter, execute

from pricing_graph.demo.seed import seed_database
from pricing_graph.store.catalog import MetricRow, PlanRow
from pricing_graph.store.contracts import (
    ContractPlanRow,
    ContractRow,
    ContractSettingsRow,
    CustomerRow,
)
from pricing_graph.store.usage import UsageEventRow
from pricing_graph.store.usage_repo import group_key, insert_events

LISTING = """
{
  contracts(first: 50, customerId: null) {
    totalCount
    nodes {
      customer { externalId name }
      plan(on: "2026-01-15") { key version }
      invoicePreview(periodIndex: 0) { subtotal total lines { quantity unitPrice amount } }
    }
  }
}
"""


async def _contracts(database: Any, first: int, count: int) -> None:
    """`count` customers on the Pro Plan, each with 1,000 gpt-4 units in January 2026."""
    async with database.sessions() as session, session.begin():
        plan = (await session.exec(select(PlanRow).where(PlanRow.key == "pro-plan"))).one()
        metric = (await session.exec(select(MetricRow).where(MetricRow.key == "model_units"))).one()
        for n in range(first, first + count):
            customer = CustomerRow(external_id=f"batch-{n:03d}", name=f"Batch {n}")
            session.add(customer)
            await session.flush()
            contract = ContractRow(
                customer_id=customer.id,
                product_id=plan.product_id,
                start_date=date(2026, 1, 1),
                billing_interval="MONTHLY",
                billing_anchor="CONTRACT_START",
            )
            session.add(contract)
            await session.flush()
            session.add(
                ContractPlanRow(
                    contract_id=contract.id, plan_id=plan.id, effective_from=date(2026, 1, 1)
                )
            )
            session.add(
                ContractSettingsRow(contract_id=contract.id, effective_from=date(2026, 1, 1))
            )
            # through the store's insert, which keeps the hourly rollups previews read
            event = UsageEventRow(
                customer_id=customer.id,
                metric_id=metric.id,
                event_id=f"e{n}",
                occurred_at=datetime(2026, 1, 10, tzinfo=UTC),
                value=Decimal(1000),
                group_key=group_key({"model": "gpt-4"}),
                dimensions={"model": "gpt-4"},
            )
            await insert_events(session, [event.model_dump(exclude={"id"})])


async def _listing(database: Any) -> tuple[int, dict[str, Any]]:
    with StatementCounter(database) as counter:
        data = await execute(database, LISTING)
    return counter.count, data


async def test_fifty_contracts_cost_what_one_costs(database: Any) -> None:
    await seed_database(database)
    async with database.sessions() as session, session.begin():
        # Keep the demo catalog, drop the demo contracts (their terms cascade).
        await session.exec(delete(ContractRow))

    await _contracts(database, 0, 1)
    cold, _ = await _listing(database)  # loads the published plan once, then caches it
    one, one_data = await _listing(database)
    await _contracts(database, 1, 49)
    fifty, fifty_data = await _listing(database)

    assert one_data["contracts"]["totalCount"] == 1
    assert fifty_data["contracts"]["totalCount"] == 50
    node = fifty_data["contracts"]["nodes"][49]
    assert node["customer"]["externalId"] == "batch-049"
    assert node["plan"] == {"key": "pro-plan", "version": 1}
    assert node["invoicePreview"] == {
        "subtotal": "30.00",
        "total": "30.00",
        "lines": [{"quantity": "1000", "unitPrice": "0.03", "amount": "30.00"}],
    }
    assert one == fifty
    # contracts: count + page; contract terms: 7 (discounts included); customers; plan rows
    # (once: the domain plan reads its rows through the plan field's loader); usage. The
    # first listing also loads the plan's content (6 statements), which published plans
    # then keep.
    assert fifty == 12
    assert cold == 18
