"""Rating queries: invoice previews, upcoming invoices, usage against limits, cost estimates.

Each resolver calls `services.billing` with the request's DataLoaders and maps the rating
core's values; a refusal names the argument (`PublicError`). The services apply the access
policy: a contract's fields follow the `contract` rule, `estimateCost` its own.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

import strawberry

from pricing_graph.api.catalog.inputs import DimensionValueInput
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.convert import to_domain
from pricing_graph.api.describe import describe_args
from pricing_graph.api.errors import PublicError
from pricing_graph.api.rating.reads import LoaderReads
from pricing_graph.api.rating.types import CostEstimate, InvoicePreview, UsageStatus
from pricing_graph.services import billing
from pricing_graph.services.catalog.inputs import DimensionValueSpec
from pricing_graph.services.errors import DomainError
from pricing_graph.store.contracts import ContractRow


class HasContractRow(Protocol):
    row: ContractRow


def public_error(refused: DomainError) -> PublicError:
    """A service's refusal of a query argument (one problem, named by the argument; no
    field for FORBIDDEN)."""
    return PublicError.of(refused)


async def invoice_preview(
    root: HasContractRow,
    info: ContextInfo,
    period_index: int | None = None,
    date: date | None = None,
) -> InvoicePreview:
    """The invoice for one period from the usage ingested so far."""
    context = info.context
    try:
        rated = await billing.invoice_preview(
            context.uow,
            context.actor,
            root.row.id or 0,
            period_index=period_index,
            on=date,
            reads=LoaderReads(context),
        )
    except DomainError as refused:
        raise public_error(refused) from None
    return InvoicePreview.of(rated)


async def upcoming_invoices(
    root: HasContractRow, info: ContextInfo, count: int = 3
) -> list[InvoicePreview]:
    """The current period's invoice and the ones after it (fewer if the contract ends)."""
    context = info.context
    try:
        rated = await billing.upcoming_invoices(
            context.uow, context.actor, root.row.id or 0, count, reads=LoaderReads(context)
        )
    except DomainError as refused:
        raise public_error(refused) from None
    return [InvoicePreview.of(invoice) for invoice in rated]


async def usage_status(root: HasContractRow, info: ContextInfo) -> list[UsageStatus]:
    """Each limited metric's use this period, and the plan to upgrade to when at a limit."""
    context = info.context
    try:
        statuses = await billing.usage_status(
            context.uow, context.actor, root.row.id or 0, reads=LoaderReads(context)
        )
    except DomainError as refused:
        raise public_error(refused) from None
    return [UsageStatus.of(status) for status in statuses]


@strawberry.type
class RatingQuery:
    @strawberry.field(
        description="The marginal cost of the next usage given this period's usage so far: "
        "what this request will cost."
    )
    async def estimate_cost(
        self,
        info: ContextInfo,
        contract_id: strawberry.ID,
        metric_key: str,
        quantity: Decimal,
        dimensions: list[DimensionValueInput] | None = None,
    ) -> CostEstimate:
        context = info.context
        question = billing.CostQuestion(
            contract_id=contract_id,
            metric_key=metric_key,
            quantity=quantity,
            dimensions=None
            if dimensions is None
            else tuple(to_domain(d, DimensionValueSpec) for d in dimensions),
        )
        try:
            estimate = await billing.estimate_cost(
                context.uow, context.actor, question, reads=LoaderReads(context)
            )
        except DomainError as refused:
            raise public_error(refused) from None
        return CostEstimate.of(estimate)


describe_args(
    RatingQuery,
    {
        "estimate_cost": {
            "contract_id": "The contract's global ID.",
            "metric_key": 'The metric the usage is on, e.g. "input_tokens".',
            "quantity": 'The usage to price, in the metric\'s unit, e.g. "1000".',
            "dimensions": 'Its dimension values, e.g. [{name: "model", value: "gpt-4"}].',
        }
    },
)
