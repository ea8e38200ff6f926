"""Customer and contract queries.

The services check the access policy and a partner's ownership (from its key): another
partner's customer or contract is null, exactly as a missing one; a refused read is the
field's error, never data.
"""

from __future__ import annotations

import strawberry

from pricing_graph.api.catalog.queries import served
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.contracts.types import Contract, Customer
from pricing_graph.api.describe import PAGE_ARGS, describe, describe_args
from pricing_graph.api.pagination import Connection, build_connection, page_window
from pricing_graph.services import contracts, customers


@strawberry.type
class ContractQuery:
    @strawberry.field(description="Customers by external ID; a partner sees its own.")
    async def customers(
        self,
        info: ContextInfo,
        first: int | None = None,
        after: str | None = None,
        partner_owner: str | None = None,
    ) -> Connection[Customer]:
        context = info.context
        offset, limit = page_window(first, after)
        rows, total = await served(
            customers.customers_page(
                context.uow, context.actor, offset, limit, partner_owner=partner_owner
            )
        )
        return build_connection(rows, offset, total, Customer.from_row)

    @strawberry.field(description="One customer by global ID or by your external ID.")
    async def customer(
        self, info: ContextInfo, id: strawberry.ID | None = None, external_id: str | None = None
    ) -> Customer | None:
        context = info.context
        if id is not None:
            load = context.loaders.customer_by_id.load
            row = await served(customers.customer_by_id(context.uow, context.actor, id, load))
        else:
            row = await served(
                customers.customer_by_external_id(context.uow, context.actor, external_id)
            )
        return Customer.from_row(row) if row else None

    @strawberry.field
    async def contracts(
        self,
        info: ContextInfo,
        first: int | None = None,
        after: str | None = None,
        customer_id: strawberry.ID | None = None,
    ) -> Connection[Contract]:
        context = info.context
        offset, limit = page_window(first, after)
        rows, total = await served(
            contracts.contracts_page(
                context.uow, context.actor, offset, limit, customer=customer_id
            )
        )
        return build_connection(rows, offset, total, Contract.from_row)

    @strawberry.field
    async def contract(self, info: ContextInfo, id: strawberry.ID) -> Contract | None:
        context = info.context
        loaders = context.loaders
        record = await served(
            contracts.contract_by_id(
                context.uow,
                context.actor,
                id,
                loaders.contract_record_by_id.load,
                loaders.customer_by_id.load,
            )
        )
        return Contract.from_row(record.contract) if record else None


describe(
    ContractQuery,
    contracts="Contracts, oldest first; a partner sees its customers' only.",
    contract="One contract by global ID; null when there is none (for this caller).",
)
describe_args(
    ContractQuery,
    {
        "customers": {
            **PAGE_ARGS,
            "partner_owner": 'Only customers of this partner, e.g. "acme-reseller".',
        },
        "customer": {
            "id": "The customer's global ID (give id or externalId).",
            "external_id": 'Your ID for the customer, e.g. "acme-corp".',
        },
        "contracts": {**PAGE_ARGS, "customer_id": "Only this customer's (global ID)."},
        "contract": {"id": "The contract's global ID."},
    },
)
