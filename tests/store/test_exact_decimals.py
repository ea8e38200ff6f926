"""Decimals read back digit for digit on both backends; SQLite never goes through float."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from pricing_graph.store.catalog import MetricRow, PlanRow, PriceRow, ProductRow, RampRow

VALUES = [
    Decimal("0.000002"),
    Decimal("123456789012.123456789012"),
    Decimal("-0.000000000001"),
    Decimal("0.10"),
    Decimal("99999999999999999999.999999999999"),
]


@pytest.mark.parametrize("value", VALUES, ids=str)
async def test_decimal_round_trip(database: Any, value: Decimal) -> None:
    async with database.sessions() as session, session.begin():
        product = ProductRow(key="p", name="P")
        session.add(product)
        await session.flush()
        plan = PlanRow(
            product_id=product.id,
            key="plan",
            name="Plan",
            invoice_display_name="Plan",
            billing_interval="MONTHLY",
            billing_anchor="CONTRACT_START",
            pricing_unit_code="USD",
            pricing_unit_decimals=2,
        )
        session.add(plan)
        session.add(MetricRow(key="m", name="M", unit_label="u", aggregation="COUNT"))
        await session.flush()
        ramp = RampRow(plan_id=plan.id, position=0)
        session.add(ramp)
        await session.flush()
        session.add(
            PriceRow(
                ramp_id=ramp.id,
                position=0,
                key="f",
                kind="FIXED",
                name="F",
                invoice_display_name="F",
                amount=value,
            )
        )
    async with database.sessions() as session:
        amount = (await session.exec(select(PriceRow.amount))).one()
        if database.engine.dialect.name == "sqlite":  # stored as text, never as REAL
            storage = await session.exec(select(func.typeof(PriceRow.amount)))
            assert storage.one() == "text"
    assert isinstance(amount, Decimal)
    assert str(amount) == str(value)
