"""Saved quotes: a priced deal kept, revised, approved and signed.

createQuote prices a `QuoteInput` exactly as the `quote` query does (`price_quote`, so bad
terms get createContract's codes, on `input.quote.<field>`) and stores revision 1: the input
as sent and the computed `Quote`, both as JSON. updateQuote appends revision N+1 while the
quote is DRAFT. approveQuote (DRAFT -> APPROVED), voidQuote (DRAFT/APPROVED -> VOIDED, with
a reason) and acceptQuote (APPROVED -> ACCEPTED) move it on; repeating a transition the
quote has already made returns it unchanged and writes nothing.

acceptQuote, in one transaction: refuses a voided, unapproved or expired quote (valid-until
is the last day it can be accepted, compared with `acceptedOn`, default today UTC), creates
the customer of a prospect, and creates the contract through `open_contract` from the
stored input of the current revision (so the contract has exactly the quoted terms, checked
under createContract's rules). Accepting an accepted quote returns the same contract.

What is read back is what was stored: a revision's `result` is rehydrated from its JSON
into the `Quote` type, never recomputed.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Union, cast, get_args, get_origin, get_type_hints

import strawberry
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.scalars import JSON

from pricing_graph.api.catalog.plan_input import text_errors
from pricing_graph.api.catalog.queries import argument_id, page_of
from pricing_graph.api.catalog.types import ContextInfo, Node
from pricing_graph.api.context import Context
from pricing_graph.api.contracts.inputs import IDEMPOTENCY
from pricing_graph.api.contracts.mutations import open_contract, published_plan
from pricing_graph.api.contracts.types import Contract, Customer
from pricing_graph.api.errors import ErrorCode, RefusedError, UserError, camel, user_error
from pricing_graph.api.idempotency import idempotent_write
from pricing_graph.api.ids import encode_id
from pricing_graph.api.pagination import Connection
from pricing_graph.api.quotes.inputs import QuoteInput
from pricing_graph.api.quotes.service import price_quote
from pricing_graph.api.quotes.types import Quote
from pricing_graph.api.writes import db_id, not_found, refuse_if, run_write
from pricing_graph.rating.plan_checks import Path
from pricing_graph.store.contracts import CustomerRow
from pricing_graph.store.quotes import VOID_REASON_LENGTH, SavedQuoteRevisionRow, SavedQuoteRow

# -- JSON: GraphQL-shaped (camelCase keys, enums by name, decimals and dates as strings) ----


def to_json(value: Any) -> Any:
    """A Strawberry input or type as JSON in its GraphQL shape: what a client sends/reads."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            camel(f.name): to_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "idempotency_key"
        }
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def from_json(kind: Any, data: Any) -> Any:
    """The inverse of `to_json` for the annotated type `kind`: the same values back."""
    origin = get_origin(kind)
    if origin is Union or origin is types.UnionType:
        if data is None:
            return None
        [inner] = [arg for arg in get_args(kind) if arg is not type(None)]
        return from_json(inner, data)
    if origin is list:
        return [from_json(get_args(kind)[0], item) for item in data]
    supertype = getattr(kind, "__supertype__", None)  # NewType, e.g. strawberry.ID
    if supertype is not None:
        return from_json(supertype, data)
    if dataclasses.is_dataclass(kind):
        hints = get_type_hints(kind)
        build: Any = kind
        return build(
            **{
                f.name: from_json(hints[f.name], data[camel(f.name)])
                for f in dataclasses.fields(kind)
                if f.init and camel(f.name) in data
            }
        )
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind[data]
    if kind is Decimal:
        return Decimal(data)
    if kind is date:
        return date.fromisoformat(data)
    return data


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
        quote: Quote = from_json(Quote, self.row.result)
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

_NOT_DRAFT = "the quote is {status}; only a DRAFT can be {action}"


def _under_quote(errors: list[UserError]) -> list[UserError]:
    """`price_quote` names fields of the QuoteInput (`input.adjustments.0.value`); here that
    input is `input.quote`."""
    return [
        UserError(
            field=None if e.field is None else e.field.replace("input.", "input.quote.", 1),
            code=e.code,
            message=e.message,
        )
        for e in errors
    ]


def _on_id(errors: list[UserError], revision: int) -> list[UserError]:
    """Errors about a stored revision's terms, on the quote's ID, naming the field."""
    return [
        UserError(
            field="input.id",
            code=e.code,
            message=f"revision {revision}, "
            f"{(e.field or 'input').replace('input', 'quote', 1)}: {e.message}",
        )
        for e in errors
    ]


def _refuse(code: ErrorCode, message: str, path: Path = ("id",)) -> RefusedError:
    return RefusedError([user_error(path, code, message)])


async def _locked_quote(session: AsyncSession, global_id: str) -> SavedQuoteRow:
    """The quote, with its row held for this transaction: an UPDATE comes first (a row lock
    on PostgreSQL, the write lock on SQLite), so concurrent transitions queue."""
    qid = db_id(("id",), global_id, "SavedQuote")
    await session.exec(
        update(SavedQuoteRow)
        .where(col(SavedQuoteRow.id) == qid)
        .values(current_revision=SavedQuoteRow.current_revision)
    )
    row = await session.get(SavedQuoteRow, qid, populate_existing=True)
    if row is None:
        raise not_found(("id",), "saved quote", global_id)
    return row


async def _prospect_errors(session: AsyncSession, given: ProspectInput) -> list[UserError]:
    errors = text_errors(("prospect", "name"), given.name) + text_errors(
        ("prospect", "external_id"), given.external_id
    )
    if not errors and await _customer_with(session, given.external_id) is not None:
        errors.append(
            user_error(
                ("prospect", "external_id"),
                ErrorCode.DUPLICATE_KEY,
                f"a customer with external ID {given.external_id!r} exists; quote it by customerId",
            )
        )
    return errors


async def _customer_with(session: AsyncSession, external_id: str) -> CustomerRow | None:
    found: CustomerRow | None = (
        await session.exec(select(CustomerRow).where(CustomerRow.external_id == external_id))
    ).first()
    return found


def _revision(
    quote_id: int, number: int, given: QuoteInput, result: Quote
) -> SavedQuoteRevisionRow:
    return SavedQuoteRevisionRow(
        quote_id=quote_id, revision=number, input=to_json(given), result=to_json(result)
    )


async def _payload(context: Context, quote_id: int | None, errors: list[UserError]) -> Any:
    if quote_id is None:
        return SavedQuotePayload(saved_quote=None, errors=errors)
    rows = await context.read(select(SavedQuoteRow).where(SavedQuoteRow.id == quote_id))
    return SavedQuotePayload(saved_quote=SavedQuote.from_row(rows[0]), errors=[])


@strawberry.type
class SavedQuoteMutation:
    @strawberry.mutation(
        description="Price a deal for a customer or a prospect and keep it as revision 1 of "
        "a DRAFT quote. Terms follow createContract's rules; drafts need a sales API key."
    )
    async def create_quote(self, info: ContextInfo, input: CreateQuoteInput) -> SavedQuotePayload:
        priced, quote_errors = await price_quote(info.context, input.quote)

        async def work(session: AsyncSession) -> int:
            errors: list[UserError] = []
            customer_id: int | None = None
            if (input.customer_id is None) == (input.prospect is None):
                errors.append(
                    user_error(
                        ("customer_id",),
                        ErrorCode.REQUIRED if input.prospect is None else ErrorCode.INVALID_VALUE,
                        "give either customerId (an existing customer) or prospect",
                    )
                )
            elif input.customer_id is not None:
                customer_id = db_id(("customer_id",), input.customer_id, "Customer")
                if await session.get(CustomerRow, customer_id) is None:
                    errors.append(
                        user_error(
                            ("customer_id",),
                            ErrorCode.NOT_FOUND,
                            f"no customer with ID {input.customer_id}",
                        )
                    )
            elif input.prospect is not None:
                errors += await _prospect_errors(session, input.prospect)
            refuse_if(errors + _under_quote(quote_errors))
            assert priced is not None
            prospect = input.prospect
            row = SavedQuoteRow(
                customer_id=customer_id,
                prospect_name=prospect.name if prospect else None,
                prospect_external_id=prospect.external_id if prospect else None,
                valid_until=input.valid_until,
            )
            session.add(row)
            await session.flush()
            assert row.id is not None
            session.add(_revision(row.id, 1, input.quote, priced.result))
            await session.flush()
            return row.id

        result, errors = await idempotent_write(info.context, "createQuote", input, work)
        payload: SavedQuotePayload = await _payload(info.context, result, errors)
        return payload

    @strawberry.mutation(
        description="Reprice a DRAFT quote as a new revision; earlier revisions stay readable."
    )
    async def update_quote(self, info: ContextInfo, input: UpdateQuoteInput) -> SavedQuotePayload:
        priced, quote_errors = await price_quote(info.context, input.quote)

        async def work(session: AsyncSession) -> int:
            row = await _locked_quote(session, input.id)
            assert row.id is not None
            if row.status != "DRAFT":
                raise _refuse(
                    ErrorCode.QUOTE_NOT_DRAFT,
                    _NOT_DRAFT.format(status=row.status, action="revised"),
                )
            expected = input.expected_revision
            if expected is not None and expected != row.current_revision:
                raise _refuse(
                    ErrorCode.CONFLICT,
                    f"the quote is at revision {row.current_revision}, not {expected}: "
                    "read it again and retry",
                    ("expected_revision",),
                )
            refuse_if(_under_quote(quote_errors))
            assert priced is not None
            row.current_revision += 1
            if input.valid_until is not None:
                row.valid_until = input.valid_until
            session.add(row)
            session.add(_revision(row.id, row.current_revision, input.quote, priced.result))
            await session.flush()
            return row.id

        result, errors = await idempotent_write(info.context, "updateQuote", input, work)
        payload: SavedQuotePayload = await _payload(info.context, result, errors)
        return payload

    @strawberry.mutation(description="DRAFT -> APPROVED: the quote can now be accepted.")
    async def approve_quote(self, info: ContextInfo, input: ApproveQuoteInput) -> SavedQuotePayload:
        async def work(session: AsyncSession) -> int:
            row = await _locked_quote(session, input.id)
            assert row.id is not None
            if row.status == "APPROVED":
                return row.id
            if row.status != "DRAFT":
                raise _refuse(
                    ErrorCode.QUOTE_NOT_DRAFT,
                    _NOT_DRAFT.format(status=row.status, action="approved"),
                )
            row.status = "APPROVED"
            session.add(row)
            await session.flush()
            return row.id

        result, errors = await run_write(info.context, work)
        payload: SavedQuotePayload = await _payload(info.context, result, errors)
        return payload

    @strawberry.mutation(description="Withdraw a DRAFT or APPROVED quote, saying why.")
    async def void_quote(self, info: ContextInfo, input: VoidQuoteInput) -> SavedQuotePayload:
        async def work(session: AsyncSession) -> int:
            row = await _locked_quote(session, input.id)
            assert row.id is not None
            if row.status == "VOIDED":
                return row.id
            if row.status == "ACCEPTED":
                raise _refuse(
                    ErrorCode.QUOTE_ACCEPTED,
                    "the quote was accepted; end its contract instead",
                )
            refuse_if(text_errors(("reason",), input.reason, max_length=VOID_REASON_LENGTH))
            row.status = "VOIDED"
            row.void_reason = input.reason
            session.add(row)
            await session.flush()
            return row.id

        result, errors = await run_write(info.context, work)
        payload: SavedQuotePayload = await _payload(info.context, result, errors)
        return payload

    @strawberry.mutation(
        description="Sign an APPROVED quote: creates the customer (for a prospect) and the "
        "contract with exactly the quoted terms, in one transaction. Accepting again returns "
        "the same contract."
    )
    async def accept_quote(self, info: ContextInfo, input: AcceptQuoteInput) -> AcceptQuotePayload:
        async def work(session: AsyncSession) -> int:
            row = await _locked_quote(session, input.id)
            assert row.id is not None
            if row.status == "ACCEPTED":
                return row.id
            if row.status == "VOIDED":
                raise _refuse(ErrorCode.QUOTE_VOIDED, f"the quote was voided: {row.void_reason}")
            if row.status != "APPROVED":
                raise _refuse(
                    ErrorCode.QUOTE_NOT_APPROVED, "the quote is a DRAFT; approve it first"
                )
            day = input.accepted_on or datetime.now(UTC).date()
            if day > row.valid_until:
                raise _refuse(
                    ErrorCode.QUOTE_EXPIRED,
                    f"the quote was valid until {row.valid_until}; accepted on {day}",
                    ("accepted_on",),
                )
            stored = (
                await session.exec(
                    select(SavedQuoteRevisionRow).where(
                        SavedQuoteRevisionRow.quote_id == row.id,
                        SavedQuoteRevisionRow.revision == row.current_revision,
                    )
                )
            ).one()
            customer = await _signing_customer(session, row)
            given: QuoteInput = from_json(QuoteInput, stored.input)
            request = {
                "savedQuoteId": encode_id("SavedQuote", row.id),
                "savedQuoteRevision": row.current_revision,
                **{k: v for k, v in stored.input.items() if k not in ("periods", "usage")},
            }
            try:
                plan_row, plan = await published_plan(session, given.plan_id, ("plan_id",))
                contract_id = await open_contract(session, customer, plan_row, plan, given, request)
            except RefusedError as refused:
                raise RefusedError(_on_id(refused.errors, row.current_revision)) from None
            row.status = "ACCEPTED"
            row.customer_id = customer.id
            row.accepted_contract_id = contract_id
            row.accepted_on = day
            session.add(row)
            await session.flush()
            return row.id

        result, errors = await run_write(info.context, work)
        payload: SavedQuotePayload = await _payload(info.context, result, errors)
        quote = payload.saved_quote
        return AcceptQuotePayload(
            saved_quote=quote,
            contract=await _accepted_contract(info.context, quote.row) if quote else None,
            errors=payload.errors,
        )


async def _signing_customer(session: AsyncSession, row: SavedQuoteRow) -> CustomerRow:
    """The quoted customer, its row locked (contracts check overlaps under that lock), or a
    new customer from the prospect. A prospect whose external ID has meanwhile become a
    customer's is refused (DUPLICATE_KEY): the quote may not sign for an account it did not
    name; void it and quote that customer by ID."""
    if row.customer_id is not None:
        customer = await session.get(CustomerRow, row.customer_id, with_for_update=True)
        assert customer is not None  # the quote is deleted with its customer
        return customer
    assert row.prospect_external_id is not None and row.prospect_name is not None
    if await _customer_with(session, row.prospect_external_id) is not None:
        raise _refuse(
            ErrorCode.DUPLICATE_KEY,
            f"a customer with external ID {row.prospect_external_id!r} exists now; void this "
            "quote and quote that customer by customerId",
        )
    customer = CustomerRow(external_id=row.prospect_external_id, name=row.prospect_name)
    session.add(customer)
    await session.flush()
    return customer


# -- reads ---------------------------------------------------------------------------------


@strawberry.type
class SavedQuoteQuery:
    @strawberry.field(description="One saved quote by ID.")
    async def saved_quote(self, info: ContextInfo, id: strawberry.ID) -> SavedQuote | None:
        qid = argument_id(id, "SavedQuote")[1]
        rows = await info.context.read(select(SavedQuoteRow).where(SavedQuoteRow.id == qid))
        return SavedQuote.from_row(rows[0]) if rows else None

    @strawberry.field(description="Saved quotes, oldest first; optionally of one status.")
    async def saved_quotes(
        self,
        info: ContextInfo,
        first: int | None = None,
        after: str | None = None,
        status: SavedQuoteStatus | None = None,
    ) -> Connection[SavedQuote]:
        statement = select(SavedQuoteRow).order_by(col(SavedQuoteRow.id))
        if status is not None:
            statement = statement.where(SavedQuoteRow.status == status.value)
        return await page_of(info, statement, first, after, SavedQuote.from_row)
