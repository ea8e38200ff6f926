"""Relay `node(id:)`: any object by its global ID, whatever its domain."""

from __future__ import annotations

import strawberry
from sqlmodel import select

from pricing_graph.api.catalog.queries import argument_id
from pricing_graph.api.catalog.types import (
    ContextInfo,
    Metric,
    Node,
    Plan,
    PricingRamp,
    Product,
    price_from_row,
)
from pricing_graph.api.contracts.types import Contract, Customer
from pricing_graph.api.quotes.saved import SavedQuote
from pricing_graph.store.quotes import SavedQuoteRow


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID.")
    async def node(self, info: ContextInfo, id: strawberry.ID) -> Node | None:
        type_name, db_id = argument_id(id, None)
        loaders = info.context.loaders
        if type_name == "Product":
            product = await loaders.product_by_id.load(db_id)
            return Product.from_row(product) if product else None
        if type_name == "Metric":
            metric = await loaders.metric_by_id.load(db_id)
            return Metric.from_row(metric) if metric else None
        if type_name == "Plan":
            plan = await loaders.plan_by_id.load(db_id)
            return Plan.from_row(plan) if plan else None
        if type_name == "PricingRamp":
            ramp = await loaders.ramp_by_id.load(db_id)
            if ramp is None:
                return None
            plan = Plan.from_row(await loaders.plan_by_id.load(ramp.plan_id))
            ramps: list[PricingRamp] = await plan.ramps(info)
            return next((r for r in ramps if r.db_id == db_id), None)
        if type_name == "Customer":
            customer = await loaders.customer_by_id.load(db_id)
            return Customer.from_row(customer) if customer else None
        if type_name == "Contract":
            record = await loaders.contract_record_by_id.load(db_id)
            return Contract.from_row(record.contract) if record else None
        if type_name == "SavedQuote":
            quote = await info.context.read(select(SavedQuoteRow).where(SavedQuoteRow.id == db_id))
            return SavedQuote.from_row(quote[0]) if quote else None
        if type_name == "Price":
            price = await loaders.price_by_id.load(db_id)
            if price is None:
                return None
            ramp = await loaders.ramp_by_id.load(price.ramp_id)
            return price_from_row(price, await loaders.plan_by_id.load(ramp.plan_id))
        return None
