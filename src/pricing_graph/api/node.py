"""Relay `node(id:)`: any object by its global ID, whatever its domain.

Each type answers under its own "node:<Type>" rule of the access policy, checked by the
service that reads it: another partner's Customer or Contract is null, and so, for callers
without a sales or admin key, is a Plan, PricingRamp or Price outside the public price book.
A type the caller may not read at all is null with a FORBIDDEN error.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import strawberry

from pricing_graph.api.catalog.queries import argument_id, served
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
from pricing_graph.services import access, catalog, contracts, customers, quotes
from pricing_graph.services.actor import Actor
from pricing_graph.services.ids import PRICE_TYPES
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.store.quotes import SavedQuoteRow


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global ID; null when there is none, or the caller "
        "may not see it."
    )
    async def node(
        self,
        info: ContextInfo,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description='A global ID, e.g. "UGxhbjoz" (Plan 3); the unpadded URL-safe '
                "IDs issued before are accepted too."
            ),
        ],
    ) -> Node | None:
        type_name, db_id = argument_id(id, None)
        context = info.context
        uow, actor, loaders = context.uow, context.actor, context.loaders
        if type_name == "Product":
            product = await served(
                catalog.product_by_id(
                    uow, actor, id, loaders.product_by_id.load, operation="node:Product"
                )
            )
            return Product.from_row(product) if product else None
        if type_name == "Metric":
            metric = await served(catalog.metric_by_id(uow, actor, id, loaders.metric_by_id.load))
            return Metric.from_row(metric) if metric else None
        if type_name == "Plan":
            plan = await served(
                catalog.plan_by_id(uow, actor, id, loaders.plan_by_id.load, operation="node:Plan")
            )
            return Plan.from_row(plan) if plan else None
        if type_name == "PricingRamp":
            found = await served(
                catalog.ramp_by_id(uow, actor, id, loaders.ramp_by_id.load, loaders.plan_by_id.load)
            )
            if found is None:
                return None
            # A synchronous resolver: the ramps, or an awaitable of them (loaders.resolved).
            listed: Any = Plan.from_row(found[1]).ramps(info)
            ramps: list[PricingRamp] = await listed if inspect.isawaitable(listed) else listed
            return next((r for r in ramps if r.db_id == db_id), None)
        if type_name == "Price" or type_name in PRICE_TYPES:  # "Price": IDs issued before
            priced = await served(
                catalog.price_by_id(
                    uow,
                    actor,
                    id,
                    loaders.price_by_id.load,
                    loaders.ramp_by_id.load,
                    loaders.plan_by_id.load,
                )
            )
            price = price_from_row(*priced) if priced else None
            if price is None or type_name not in ("Price", type(price).__name__):
                return None  # a FixedPrice ID never names a usage price
            return price
        if type_name == "Customer":
            customer = await served(
                customers.customer_by_id(
                    uow, actor, id, loaders.customer_by_id.load, operation="node:Customer"
                )
            )
            return Customer.from_row(customer) if customer else None
        if type_name == "Contract":
            record = await served(
                contracts.contract_by_id(
                    uow,
                    actor,
                    id,
                    loaders.contract_record_by_id.load,
                    loaders.customer_by_id.load,
                    operation="node:Contract",
                )
            )
            return Contract.from_row(record.contract) if record else None
        if type_name == "SavedQuote":
            row = await served(_saved_quote(uow, actor, db_id))
            return SavedQuote.from_row(row) if row else None
        return None


async def _saved_quote(uow: UnitOfWork, actor: Actor, quote_id: int) -> SavedQuoteRow | None:
    access.authorize(actor, "node:SavedQuote")
    return await quotes.saved_quote(uow, actor, quote_id)
