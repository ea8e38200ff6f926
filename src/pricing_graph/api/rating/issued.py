"""Invoice documents as GraphQL types (`rating.timing`): what is issued on which day, and
the contract field that lists them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from pricing_graph.api.catalog.queries import served
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.describe import describe
from pricing_graph.api.rating.queries import HasContractRow
from pricing_graph.api.rating.reads import LoaderReads
from pricing_graph.api.rating.types import InvoicePart
from pricing_graph.rating.timing import IssuedInvoice as RatedIssued
from pricing_graph.services import billing


@strawberry.type
class IssuedInvoice:
    issue_date: date
    due_date: date
    currency: str
    parts: list[InvoicePart]
    total: Decimal

    @classmethod
    def of(cls, invoice: RatedIssued) -> IssuedInvoice:
        return cls(
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            currency=invoice.currency,
            parts=[InvoicePart.of(part) for part in invoice.parts],
            total=invoice.total,
        )


async def issued_invoices(
    root: HasContractRow, info: ContextInfo, period_index: int | None = None, count: int = 3
) -> list[IssuedInvoice]:
    """The invoice documents of `count` periods' charges from `periodIndex` (default: the
    current period), by issue date."""
    context = info.context
    documents = await served(
        billing.issued_invoices(
            context.uow,
            context.actor,
            root.row.id or 0,
            period_index=period_index,
            count=count,
            reads=LoaderReads(context),
        )
    )
    return [IssuedInvoice.of(doc) for doc in documents]


describe(
    IssuedInvoice,
    "One invoice document: what is issued on one day. An invoice at a period boundary "
    "carries the ending period's in-arrears charges and the starting period's in-advance "
    "charges.",
    issue_date="When it is issued.",
    due_date="Issue date + the contract's payment terms.",
    currency='ISO currency of `total`, e.g. "USD".',
    parts="Its parts, one per billing period (oldest first).",
    total="Sum of the parts, in the currency.",
)
