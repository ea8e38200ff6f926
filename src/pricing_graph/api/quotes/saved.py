"""Saved quotes at the GraphQL edge: the types, the inputs, and mutations that convert,
call `services.quotes` and map its answer (the lifecycle itself lives there).

What is read back is what was stored: a revision's `input` is the QuoteInput as sent and its
`result` is rehydrated from its JSON into the `Quote` type, never recomputed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from pricing_graph.api.catalog.queries import argument_id, connection
from pricing_graph.api.catalog.types import ContextInfo, Node
from pricing_graph.api.context import Context
from pricing_graph.api.contracts.inputs import IDEMPOTENCY
from pricing_graph.api.contracts.types import Contract, Customer
from pricing_graph.api.convert import to_domain
from pricing_graph.api.describe import ERRORS, PAGE_ARGS, describe, describe_args, describe_enum
from pricing_graph.api.errors import PublicError, UserError, user_errors
from pricing_graph.api.ids import encode_id
from pricing_graph.api.pagination import Connection
from pricing_graph.api.quotes.inputs import QuoteInput
from pricing_graph.api.quotes.types import Quote
from pricing_graph.api.rating.issued import IssuedInvoice
from pricing_graph.services import quotes
from pricing_graph.services.errors import DomainError
from pricing_graph.services.quotes import from_json
from pricing_graph.services.quotes.documents import with_display_names
from pricing_graph.store.quotes import SavedQuoteRevisionRow, SavedQuoteRow

# -- types ---------------------------------------------------------------------------------


@strawberry.enum(description="DRAFT (editable) -> APPROVED -> ACCEPTED; or VOIDED.")
class SavedQuoteStatus(Enum):
    DRAFT = "DRAFT"
    APPROVED = "APPROVED"
    VOIDED = "VOIDED"
    ACCEPTED = "ACCEPTED"


@strawberry.type(description="One version of a saved quote: what was sent, and its price.")
class SavedQuoteRevision:
    revision: int
    created_at: datetime
    row: strawberry.Private[SavedQuoteRevisionRow]

    @strawberry.field(description="The QuoteInput as it was sent (GraphQL field names).")
    def input(self) -> JSON:
        return cast(JSON, self.row.input)

    @strawberry.field(description="The quote as computed when the revision was saved.")
    def result(self) -> Quote:
        document = with_display_names(self.row.result)
        quote: Quote = from_json(Quote, document)
        quote.saved_issued_invoices = from_json(
            list[IssuedInvoice], document.get("issuedInvoices", [])
        )
        return quote

    @classmethod
    def from_row(cls, row: SavedQuoteRevisionRow) -> SavedQuoteRevision:
        return cls(revision=row.revision, created_at=row.created_at, row=row)


@strawberry.type(description="A priced deal for a customer or a prospect, kept with its revisions.")
class SavedQuote(Node):
    status: SavedQuoteStatus
    valid_until: date = strawberry.field(description="The last day it can be accepted.")
    prospect_name: str | None
    prospect_external_id: str | None = strawberry.field(
        description="The external ID the customer gets when the quote is accepted."
    )
    current_revision: int
    void_reason: str | None
    accepted_on: date | None
    created_at: datetime
    row: strawberry.Private[SavedQuoteRow]

    @classmethod
    def from_row(cls, row: SavedQuoteRow) -> SavedQuote:
        assert row.id is not None
        return cls(
            id=encode_id("SavedQuote", row.id),
            status=SavedQuoteStatus(row.status),
            valid_until=row.valid_until,
            prospect_name=row.prospect_name,
            prospect_external_id=row.prospect_external_id,
            current_revision=row.current_revision,
            void_reason=row.void_reason,
            accepted_on=row.accepted_on,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="The existing customer quoted, or the one acceptance made.")
    async def customer(self, info: ContextInfo) -> Customer | None:
        if self.row.customer_id is None:
            return None
        row = await info.context.loaders.customer_by_id.load(self.row.customer_id)
        return Customer.from_row(row) if row else None

    @strawberry.field(description="Every revision, oldest first.")
    async def revisions(self, info: ContextInfo) -> list[SavedQuoteRevision]:
        assert self.row.id is not None
        rows = await info.context.loaders.revisions_by_quote_id.load(self.row.id)
        return [SavedQuoteRevision.from_row(row) for row in rows]

    @strawberry.field(description="One revision by number (default: the current one).")
    async def revision(
        self, info: ContextInfo, number: int | None = None
    ) -> SavedQuoteRevision | None:
        wanted = self.row.current_revision if number is None else number
        found = [r for r in await self.revisions(info) if r.revision == wanted]
        return found[0] if found else None

    @strawberry.field
    async def accepted_contract(self, info: ContextInfo) -> Contract | None:
        return await _accepted_contract(info.context, self.row)


async def _accepted_contract(context: Context, row: SavedQuoteRow) -> Contract | None:
    if row.accepted_contract_id is None:
        return None
    record = await context.loaders.contract_record_by_id.load(row.accepted_contract_id)
    return Contract.from_row(record.contract) if record else None


@strawberry.type
class SavedQuotePayload:
    saved_quote: SavedQuote | None
    errors: list[UserError]


@strawberry.type
class AcceptQuotePayload:
    saved_quote: SavedQuote | None
    contract: Contract | None = strawberry.field(description="The contract acceptance made.")
    errors: list[UserError]


# -- inputs --------------------------------------------------------------------------------


@strawberry.input(description="Someone who is not a customer yet.")
class ProspectInput:
    name: str
    external_id: str = strawberry.field(
        description="Your ID for them: the customer's external ID once the quote is accepted."
    )


@strawberry.input(description="Give customerId or prospect, not both.")
class CreateQuoteInput:
    customer_id: strawberry.ID | None = None
    prospect: ProspectInput | None = None
    quote: QuoteInput
    valid_until: date = strawberry.field(description="The last day it can be accepted.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input(description="A new revision of a DRAFT quote; earlier ones stay readable.")
class UpdateQuoteInput:
    id: strawberry.ID
    quote: QuoteInput
    valid_until: date | None = strawberry.field(default=None, description="Default: unchanged.")
    expected_revision: int | None = strawberry.field(
        default=None,
        description="The currentRevision you read; a stale one is a CONFLICT and writes nothing.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input
class ApproveQuoteInput:
    id: strawberry.ID


@strawberry.input
class VoidQuoteInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class AcceptQuoteInput:
    id: strawberry.ID
    accepted_on: date | None = strawberry.field(
        default=None, description="Compared with validUntil; default: today (UTC)."
    )


# -- writes --------------------------------------------------------------------------------


async def _payload(
    context: Context, write: Callable[[], Awaitable[int]]
) -> tuple[SavedQuote | None, list[UserError]]:
    """Run a service write; read the quote it returns, or map its refusal."""
    try:
        quote_id = await write()
    except DomainError as refused:
        return None, user_errors(refused)
    row = await quotes.saved_quote(context.uow, context.actor, quote_id)
    assert row is not None
    return SavedQuote.from_row(row), []


@strawberry.type
class SavedQuoteMutation:
    @strawberry.mutation(
        description="Price a deal for a customer or a prospect and keep it as revision 1 of "
        "a DRAFT quote. Terms follow createContract's rules; drafts need a sales API key."
    )
    async def create_quote(self, info: ContextInfo, input: CreateQuoteInput) -> SavedQuotePayload:
        context = info.context
        given = to_domain(input, quotes.NewSavedQuote)
        quote, errors = await _payload(
            context, lambda: quotes.create_quote(context.uow, context.actor, given)
        )
        return SavedQuotePayload(saved_quote=quote, errors=errors)

    @strawberry.mutation(
        description="Reprice a DRAFT quote as a new revision; earlier revisions stay readable."
    )
    async def update_quote(self, info: ContextInfo, input: UpdateQuoteInput) -> SavedQuotePayload:
        context = info.context
        given = to_domain(input, quotes.QuoteRevision)
        quote, errors = await _payload(
            context, lambda: quotes.update_quote(context.uow, context.actor, given)
        )
        return SavedQuotePayload(saved_quote=quote, errors=errors)

    @strawberry.mutation(description="DRAFT -> APPROVED: the quote can now be accepted.")
    async def approve_quote(self, info: ContextInfo, input: ApproveQuoteInput) -> SavedQuotePayload:
        context = info.context
        given = to_domain(input, quotes.ApproveQuote)
        quote, errors = await _payload(
            context, lambda: quotes.approve_quote(context.uow, context.actor, given)
        )
        return SavedQuotePayload(saved_quote=quote, errors=errors)

    @strawberry.mutation(description="Withdraw a DRAFT or APPROVED quote, saying why.")
    async def void_quote(self, info: ContextInfo, input: VoidQuoteInput) -> SavedQuotePayload:
        context = info.context
        given = to_domain(input, quotes.VoidQuote)
        quote, errors = await _payload(
            context, lambda: quotes.void_quote(context.uow, context.actor, given)
        )
        return SavedQuotePayload(saved_quote=quote, errors=errors)

    @strawberry.mutation(
        description="Sign an APPROVED quote: creates the customer (for a prospect) and the "
        "contract with exactly the quoted terms, in one transaction. Accepting again returns "
        "the same contract."
    )
    async def accept_quote(self, info: ContextInfo, input: AcceptQuoteInput) -> AcceptQuotePayload:
        context = info.context
        given = to_domain(input, quotes.AcceptQuote)
        quote, errors = await _payload(
            context, lambda: quotes.accept_quote(context.uow, context.actor, given)
        )
        return AcceptQuotePayload(
            saved_quote=quote,
            contract=await _accepted_contract(context, quote.row) if quote else None,
            errors=errors,
        )


# -- reads ---------------------------------------------------------------------------------


@strawberry.type
class SavedQuoteQuery:
    @strawberry.field(description="One saved quote by ID (sales and admin keys).")
    async def saved_quote(self, info: ContextInfo, id: strawberry.ID) -> SavedQuote | None:
        qid = argument_id(id, "SavedQuote")[1]
        try:
            row = await quotes.saved_quote(info.context.uow, info.context.actor, qid)
        except DomainError as refused:
            raise PublicError.of(refused) from None
        return SavedQuote.from_row(row) if row else None

    @strawberry.field(
        description="Saved quotes, oldest first; optionally of one status (sales and admin keys)."
    )
    async def saved_quotes(
        self,
        info: ContextInfo,
        first: int | None = None,
        after: str | None = None,
        status: SavedQuoteStatus | None = None,
    ) -> Connection[SavedQuote]:
        context = info.context

        async def fetch(offset: int, limit: int) -> tuple[list[SavedQuoteRow], int]:
            try:
                return await quotes.saved_quotes_page(
                    context.uow,
                    context.actor,
                    offset,
                    limit,
                    status=None if status is None else status.value,
                )
            except DomainError as refused:
                raise PublicError.of(refused) from None

        return await connection(first, after, fetch, SavedQuote.from_row)


# -- descriptions --------------------------------------------------------------------------

describe_enum(
    SavedQuoteStatus,
    DRAFT="Editable: updateQuote adds revisions.",
    APPROVED="Approved by sales; can be accepted until validUntil.",
    VOIDED="Withdrawn; kept for the record.",
    ACCEPTED="Signed: a customer and contract were created from it.",
)
describe(
    SavedQuoteRevision,
    revision="1 for the first, + 1 per updateQuote.",
    created_at="When it was saved (UTC).",
)
describe(
    SavedQuote,
    status="DRAFT, APPROVED, VOIDED or ACCEPTED.",
    prospect_name="The prospect's name; null when quoted for an existing customer.",
    current_revision="Number of the latest revision.",
    void_reason="Why it was voided; null unless VOIDED.",
    accepted_on="The day it was accepted; null unless ACCEPTED.",
    created_at="When it was created (UTC).",
    accepted_contract="The contract acceptance made; null until ACCEPTED.",
)
describe_args(SavedQuote, {"revision": {"number": "Revision number; omit for the current one."}})
describe(
    SavedQuotePayload,
    "What a saved-quote mutation did: the quote, or the errors that refused it.",
    saved_quote="The saved quote after the change; null when refused.",
    errors=ERRORS,
)
describe(
    AcceptQuotePayload,
    "What acceptQuote did: the quote and the contract it made, or the errors.",
    saved_quote="The ACCEPTED quote; null when refused.",
    errors=ERRORS,
)
describe(ProspectInput, name='Their name, e.g. "Globex Ltd".')
describe(
    CreateQuoteInput,
    customer_id="Global ID of an existing customer.",
    prospect="A prospect who is not a customer yet.",
    quote="The deal to price: plan, terms and projected usage.",
)
describe(UpdateQuoteInput, id="Global ID of the DRAFT quote.", quote="The deal, priced anew.")
describe(ApproveQuoteInput, "Approves a DRAFT quote.", id="Global ID of the quote.")
describe(
    VoidQuoteInput,
    "Withdraws a quote.",
    id="Global ID of the quote.",
    reason='Why, for the record, e.g. "customer chose a competitor".',
)
describe(AcceptQuoteInput, "Signs an APPROVED quote.", id="Global ID of the quote.")
describe_args(
    SavedQuoteMutation,
    {
        name: {"input": "What to do; `errors` paths start at `input`."}
        for name in ("create_quote", "update_quote", "approve_quote", "void_quote", "accept_quote")
    },
)
describe_args(
    SavedQuoteQuery,
    {
        "saved_quote": {"id": "The saved quote's global ID."},
        "saved_quotes": {**PAGE_ARGS, "status": "Only quotes with this status."},
    },
)
