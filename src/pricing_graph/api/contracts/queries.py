"""Customer and contract queries."""

from __future__ import annotations

import strawberry
from sqlmodel import col, select

from pricing_graph.api.catalog.queries import argument_id, page_of
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.contracts.types import Contract, Customer
from pricing_graph.api.pagination import Connection
from pricing_graph.store.contracts import ContractRow, CustomerRow


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
        statement = select(CustomerRow).order_by(col(CustomerRow.external_id))
        if partner_owner is not None:
            statement = statement.where(CustomerRow.partner_owner == partner_owner)
        return await page_of(info, statement, first, after, Customer.from_row)

    @strawberry.field(description="One customer by global ID or by your external ID.")
    async def customer(
        self, info: ContextInfo, id: strawberry.ID | None = None, external_id: str | None = None
    ) -> Customer | None:
        if id is not None:
            row = await info.context.loaders.customer_by_id.load(argument_id(id, "Customer")[1])
        else:
            rows = await info.context.read(
                select(CustomerRow).where(CustomerRow.external_id == external_id)
            )
            row = rows[0] if rows else None
        return Customer.from_row(row) if row else None

    @strawberry.field
    async def contracts(
        self,
        info: ContextInfo,
        first: int | None = None,
        after: str | None = None,
        customer_id: strawberry.ID | None = None,
    ) -> Connection[Contract]:
        statement = select(ContractRow).order_by(col(ContractRow.id))
        if customer_id is not None:
            customer = argument_id(customer_id, "Customer", "customerId")[1]
            statement = statement.where(ContractRow.customer_id == customer)
        return await page_of(info, statement, first, after, Contract.from_row)

    @strawberry.field
    async def contract(self, info: ContextInfo, id: strawberry.ID) -> Contract | None:
        record = await info.context.loaders.contract_record_by_id.load(
            argument_id(id, "Contract")[1]
        )
        return Contract.from_row(record.contract) if record else None
