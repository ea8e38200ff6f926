"""Customer and contract mutations: convert the input, call `services`, map the result.

The rules (one transaction each, idempotency keys, revision guards, the amendment log)
live in `services.customers` and `services.contracts`.
"""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry

from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.context import Context
from pricing_graph.api.contracts.inputs import (
    AmendContractInput,
    CreateContractInput,
    CreateCustomerInput,
    EndContractInput,
    MoveContractToPlanVersionInput,
)
from pricing_graph.api.contracts.types import Contract, Customer
from pricing_graph.api.convert import to_domain
from pricing_graph.api.describe import ERRORS, describe, describe_args
from pricing_graph.api.errors import UserError, user_errors
from pricing_graph.services import contracts, customers
from pricing_graph.services.errors import DomainError


@strawberry.type
class CustomerPayload:
    customer: Customer | None
    errors: list[UserError]


@strawberry.type
class ContractPayload:
    contract: Contract | None
    errors: list[UserError]


async def _customer_payload(context: Context, written: Awaitable[int]) -> CustomerPayload:
    try:
        customer_id = await written
    except DomainError as refused:
        return CustomerPayload(customer=None, errors=user_errors(refused))
    row = await context.loaders.customer_by_id.load(customer_id)
    assert row is not None
    return CustomerPayload(customer=Customer.from_row(row), errors=[])


async def _contract_payload(context: Context, written: Awaitable[int]) -> ContractPayload:
    try:
        contract_id = await written
    except DomainError as refused:
        return ContractPayload(contract=None, errors=user_errors(refused))
    record = await context.loaders.contract_record_by_id.load(contract_id)
    assert record is not None
    return ContractPayload(contract=Contract.from_row(record.contract), errors=[])


@strawberry.type
class ContractMutation:
    @strawberry.mutation
    async def create_customer(
        self, info: ContextInfo, input: CreateCustomerInput
    ) -> CustomerPayload:
        context = info.context
        given = to_domain(input, customers.NewCustomer)
        return await _customer_payload(
            context, customers.create_customer(context.uow, context.actor, given)
        )

    @strawberry.mutation(description="Put a customer on a published plan version, with terms.")
    async def create_contract(
        self, info: ContextInfo, input: CreateContractInput
    ) -> ContractPayload:
        context = info.context
        given = to_domain(input, contracts.NewContract)
        return await _contract_payload(
            context, contracts.create_contract(context.uow, context.actor, given)
        )

    @strawberry.mutation(
        description="Add or end adjustments, grant credits, add commitments or change settings "
        "from a date forward. One call is one revision; history is kept."
    )
    async def amend_contract(self, info: ContextInfo, input: AmendContractInput) -> ContractPayload:
        context = info.context
        given = to_domain(input, contracts.AmendContract)
        return await _contract_payload(
            context, contracts.amend_contract(context.uow, context.actor, given)
        )

    @strawberry.mutation(description="Set the contract's end date (exclusive).")
    async def end_contract(self, info: ContextInfo, input: EndContractInput) -> ContractPayload:
        context = info.context
        given = to_domain(input, contracts.EndContract)
        return await _contract_payload(
            context, contracts.end_contract(context.uow, context.actor, given)
        )

    @strawberry.mutation(
        description="Move to another published version of the same plan from a period start; "
        "earlier periods keep the version they were signed on."
    )
    async def move_contract_to_plan_version(
        self, info: ContextInfo, input: MoveContractToPlanVersionInput
    ) -> ContractPayload:
        context = info.context
        given = to_domain(input, contracts.MoveContractToPlanVersion)
        return await _contract_payload(
            context, contracts.move_contract_to_plan_version(context.uow, context.actor, given)
        )


describe(
    CustomerPayload,
    "What createCustomer did: the customer, or the errors that refused it.",
    customer="The customer as stored; null when refused.",
    errors=ERRORS,
)
describe(
    ContractPayload,
    "What a contract mutation did: the contract, or the errors that refused it.",
    contract="The contract as stored after the change; null when refused.",
    errors=ERRORS,
)
describe(
    ContractMutation,
    create_customer="Create a customer (a partner key creates its own).",
)
describe_args(
    ContractMutation,
    {
        name: {"input": "What to do; `errors` paths start at `input`."}
        for name in (
            "create_customer",
            "create_contract",
            "amend_contract",
            "end_contract",
            "move_contract_to_plan_version",
        )
    },
)
