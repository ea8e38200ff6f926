"""Plan changes at the GraphQL edge: `changeContractPlan`, `previewContractChange`, and the
invoice documents (`IssuedInvoice`) a contract's charges are issued as.

The rules live in `services.plan_changes` and `rating.proration` / `rating.timing`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from pricing_graph.api.catalog.queries import served
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.contracts.inputs import IDEMPOTENCY
from pricing_graph.api.contracts.mutations import ContractPayload, _contract_payload
from pricing_graph.api.convert import to_domain
from pricing_graph.api.describe import describe, describe_args
from pricing_graph.api.rating.issued import IssuedInvoice
from pricing_graph.api.rating.reads import LoaderReads
from pricing_graph.api.rating.types import InvoicePreview
from pricing_graph.services import plan_changes


@strawberry.input
class ChangeContractPlanInput:
    contract_id: strawberry.ID
    plan_id: strawberry.ID
    effective_date: date
    expected_revision: int
    prorate: bool = True
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input
class ContractChangeInput:
    contract_id: strawberry.ID
    plan_id: strawberry.ID
    effective_date: date
    prorate: bool = True


@strawberry.type
class ContractChangePreview:
    effective_date: date
    current: list[InvoicePreview]
    changed: list[InvoicePreview]
    current_issued: list[IssuedInvoice]
    changed_issued: list[IssuedInvoice]
    current_total: Decimal
    changed_total: Decimal
    difference: Decimal
    due_on_change: Decimal

    @classmethod
    def of(cls, preview: plan_changes.ChangePreview) -> ContractChangePreview:
        return cls(
            effective_date=preview.effective_date,
            current=[InvoicePreview.of(inv) for inv in preview.current],
            changed=[InvoicePreview.of(inv) for inv in preview.changed],
            current_issued=[IssuedInvoice.of(doc) for doc in preview.current_issued],
            changed_issued=[IssuedInvoice.of(doc) for doc in preview.changed_issued],
            current_total=preview.current_total,
            changed_total=preview.changed_total,
            difference=preview.difference,
            due_on_change=preview.due_on_change,
        )


@strawberry.type
class PlanChangeQuery:
    @strawberry.field(
        description="What changeContractPlan would do to the contract's invoices, without "
        "writing anything: the invoices of the period the change falls in and of the next "
        "one, as they are and as they would be, and the difference."
    )
    async def preview_contract_change(
        self, info: ContextInfo, input: ContractChangeInput
    ) -> ContractChangePreview:
        context = info.context
        given = to_domain(input, plan_changes.ContractChangeQuestion)
        preview = await served(
            plan_changes.preview_contract_change(
                context.uow, context.actor, given, reads=LoaderReads(context)
            )
        )
        return ContractChangePreview.of(preview)


@strawberry.type
class PlanChangeMutation:
    @strawberry.mutation(
        description="Move the contract to another published plan of its product (another "
        "plan or another version) from a date: on a period's first day without proration, "
        "on any other day with fixed fees prorated by days on both sides and usage priced by "
        "the plan in force when it happened. One revision; history is kept."
    )
    async def change_contract_plan(
        self, info: ContextInfo, input: ChangeContractPlanInput
    ) -> ContractPayload:
        context = info.context
        given = to_domain(input, plan_changes.ChangeContractPlan)
        return await _contract_payload(
            context, plan_changes.change_contract_plan(context.uow, context.actor, given)
        )


_CHANGE = dict(
    contract_id="Global ID of the contract.",
    plan_id="A PUBLISHED plan of the contract's product: another plan or another version.",
    effective_date="First day on the new plan; a period's first day needs no proration.",
    prorate="True (default): a change inside a period prorates it. False: the change waits "
    "for the first period boundary on or after effectiveDate.",
)
describe(
    ChangeContractPlanInput,
    "Moves a contract to another plan of its product from a date.",
    expected_revision="The revision you read; a stale one is a CONFLICT.",
    **_CHANGE,
)
describe(ContractChangeInput, "A plan change to preview.", **_CHANGE)
describe(
    ContractChangePreview,
    "The invoices a plan change would change, before and after.",
    effective_date="When the change would take effect (a boundary when prorate is false).",
    current="The affected periods' invoices as they are.",
    changed="The same periods' invoices with the change.",
    current_issued="`current` as invoice documents by issue date.",
    changed_issued="`changed` as invoice documents by issue date.",
    current_total="Sum of `current` totals.",
    changed_total="Sum of `changed` totals.",
    difference="changedTotal - currentTotal.",
    due_on_change="Invoiced on the change day itself (the prorated fee difference); 0 "
    "when the change is on a period boundary.",
)
describe_args(PlanChangeQuery, {"preview_contract_change": {"input": "The change to preview."}})
describe_args(
    PlanChangeMutation,
    {"change_contract_plan": {"input": "What to do; `errors` paths start at `input`."}},
)
