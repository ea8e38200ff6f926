"""Saved quotes: a priced deal kept, revised, approved and signed.

create_quote prices a `QuoteRequest` exactly as `price_quote` does (so bad terms get
createContract's codes, on `input.quote.<field>`) and stores revision 1: the request as sent
and the computed quote, both as JSON in their GraphQL shape (`documents`). update_quote
appends revision N+1 while the quote is DRAFT. approve_quote (DRAFT -> APPROVED),
void_quote (DRAFT/APPROVED -> VOIDED, with a reason) and accept_quote (APPROVED ->
ACCEPTED) move it on; repeating a transition the quote has already made returns it
unchanged and writes nothing.

accept_quote, in one transaction: refuses a voided, unapproved or expired quote (valid-until
is the last day it can be accepted, compared with `accepted_on`, default today UTC), creates
the customer of a prospect, and creates the contract through `open_contract` from the
stored request of the current revision (so the contract has exactly the quoted terms,
checked under createContract's rules). Accepting an accepted quote returns the same quote.

Every write returns the quote's id; what is read back is what was stored, never recomputed.
Sales and admin run the lifecycle (services.access); every write records an audit event
(`SavedQuote`; acceptQuote also names the customer and the contract it signed), and a
repeated transition that writes nothing records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.services import access, audit
from pricing_graph.services.actor import Actor
from pricing_graph.services.contracts import _bump_revision as bump_revision
from pricing_graph.services.contracts import open_contract, published_plan
from pricing_graph.services.errors import (
    DomainError,
    ErrorCode,
    Problem,
    not_found,
    problem,
    refuse,
    refuse_if,
)
from pricing_graph.services.idempotency import idempotent_write
from pricing_graph.services.ids import db_id, global_id
from pricing_graph.services.quotes.documents import from_json, quote_document, to_json
from pricing_graph.services.quotes.pricing import (
    PricedQuote,
    QuotePlanChange,
    QuoteRequest,
    priced_for,
)
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.services.validation import date_out_of_range, text_errors
from pricing_graph.store.contracts import CustomerRow, lock_customer
from pricing_graph.store.contracts_repo import move_to_plan
from pricing_graph.store.quotes import (
    VOID_REASON_LENGTH,
    SavedQuoteRow,
    add_revision,
    current_revision,
    customer_exists,
    customer_with_external_id,
    insert_prospect_customer,
    insert_quote,
    lock_quote,
    set_status,
)
from pricing_graph.store.quotes import saved_quote_by_id as _saved_quote_by_id
from pricing_graph.store.quotes import saved_quotes_page as _saved_quotes_page

# Inputs: the GraphQL inputs' field names; global IDs stay strings (decoded here, so their
# errors name the input field).


@dataclass(frozen=True, slots=True)
class Prospect:
    """Someone who is not a customer yet; `external_id` becomes the customer's."""

    name: str
    external_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSavedQuote:
    """Give `customer_id` (an existing customer) or `prospect`, not both."""

    customer_id: str | None = None
    prospect: Prospect | None = None
    quote: QuoteRequest
    valid_until: date  # the last day it can be accepted
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteRevision:
    """A new revision of a DRAFT quote; a stale `expected_revision` is a CONFLICT."""

    id: str
    quote: QuoteRequest
    valid_until: date | None = None  # None: unchanged
    expected_revision: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ApproveQuote:
    id: str


@dataclass(frozen=True, slots=True)
class VoidQuote:
    id: str
    reason: str


@dataclass(frozen=True, slots=True)
class AcceptQuote:
    id: str
    accepted_on: date | None = None  # compared with valid_until; None: today (UTC)


_NOT_DRAFT = "the quote is {status}; only a DRAFT can be {action}"


# -- writes --------------------------------------------------------------------------------


async def _priced(
    uow: UnitOfWork, actor: Actor, rule: access.Rule, given: QuoteRequest
) -> tuple[PricedQuote | None, list[Problem]]:
    """The quote priced before the transaction, or its problems moved under `input.quote`
    (`price_quote` names fields of the QuoteRequest: `input.adjustments.0.value`)."""
    try:
        return await priced_for(uow, actor, rule, given), []
    except DomainError as refused:
        return None, [
            Problem(
                field=None if p.field is None else p.field.replace("input.", "input.quote.", 1),
                code=p.code,
                message=p.message,
            )
            for p in refused.problems
        ]


async def _locked_quote(session: AsyncSession, quote_id: str) -> SavedQuoteRow:
    """The quote, its row held for this transaction, so concurrent transitions queue."""
    row = await lock_quote(session, db_id(("id",), quote_id, "SavedQuote"))
    if row is None:
        raise not_found(("id",), "saved quote", quote_id)
    return row


async def _prospect_problems(session: AsyncSession, given: Prospect) -> list[Problem]:
    problems = text_errors(("prospect", "name"), given.name) + text_errors(
        ("prospect", "external_id"), given.external_id
    )
    if not problems and await customer_with_external_id(session, given.external_id) is not None:
        problems.append(
            problem(
                ("prospect", "external_id"),
                ErrorCode.DUPLICATE_KEY,
                f"a customer with external ID {given.external_id!r} exists; quote it by customerId",
            )
        )
    return problems


def _valid_until_problems(day: date | None) -> list[Problem]:
    message = None if day is None else date_out_of_range(day)
    return [] if message is None else [problem(("valid_until",), ErrorCode.INVALID_DATES, message)]


async def create_quote(uow: UnitOfWork, actor: Actor, given: NewSavedQuote) -> int:
    """Price a deal for a customer or a prospect and keep it as revision 1 of a DRAFT quote;
    returns its id. Draft plans need a caller who may quote drafts."""
    rule = access.authorize(actor, "createQuote")
    priced, quote_problems = await _priced(uow, actor, rule, given.quote)
    quote_problems += _valid_until_problems(given.valid_until)

    async def work(session: AsyncSession) -> int:
        problems: list[Problem] = []
        customer_id: int | None = None
        if (given.customer_id is None) == (given.prospect is None):
            problems.append(
                problem(
                    ("customer_id",),
                    ErrorCode.REQUIRED if given.prospect is None else ErrorCode.INVALID_VALUE,
                    "give either customerId (an existing customer) or prospect",
                )
            )
        elif given.customer_id is not None:
            customer_id = db_id(("customer_id",), given.customer_id, "Customer")
            if not await customer_exists(session, customer_id):
                problems.append(
                    problem(
                        ("customer_id",),
                        ErrorCode.NOT_FOUND,
                        f"no customer with ID {given.customer_id}",
                    )
                )
        elif given.prospect is not None:
            problems += await _prospect_problems(session, given.prospect)
        refuse_if(problems + quote_problems)
        assert priced is not None
        prospect = given.prospect
        quote_id = await insert_quote(
            session,
            customer_id=customer_id,
            prospect_name=prospect.name if prospect else None,
            prospect_external_id=prospect.external_id if prospect else None,
            valid_until=given.valid_until,
            input=to_json(given.quote),
            result=quote_document(priced),
        )
        _record(session, actor, "createQuote", quote_id, given)
        return quote_id

    return await idempotent_write(uow, "createQuote", given, work, caller=actor.caller_id)


def _record(
    session: AsyncSession,
    actor: Actor,
    operation: str,
    quote_id: int,
    given: object,
    object_ids: tuple[int, ...] = (),
) -> None:
    audit.record(
        session,
        actor,
        operation,
        object_type="SavedQuote",
        object_id=quote_id,
        object_ids=object_ids,
        given=given,
    )


async def update_quote(uow: UnitOfWork, actor: Actor, given: QuoteRevision) -> int:
    """Reprice a DRAFT quote as a new revision; earlier revisions stay readable."""
    rule = access.authorize(actor, "updateQuote")
    priced, quote_problems = await _priced(uow, actor, rule, given.quote)
    quote_problems += _valid_until_problems(given.valid_until)

    async def work(session: AsyncSession) -> int:
        row = await _locked_quote(session, given.id)
        assert row.id is not None
        if row.status != "DRAFT":
            raise refuse(
                ("id",),
                ErrorCode.QUOTE_NOT_DRAFT,
                _NOT_DRAFT.format(status=row.status, action="revised"),
            )
        expected = given.expected_revision
        if expected is not None and expected != row.current_revision:
            raise refuse(
                ("expected_revision",),
                ErrorCode.CONFLICT,
                f"the quote is at revision {row.current_revision}, not {expected}: "
                "read it again and retry",
            )
        refuse_if(quote_problems)
        assert priced is not None
        await add_revision(
            session,
            row,
            valid_until=given.valid_until,
            input=to_json(given.quote),
            result=quote_document(priced),
        )
        _record(session, actor, "updateQuote", row.id, given)
        return row.id

    return await idempotent_write(uow, "updateQuote", given, work, caller=actor.caller_id)


async def approve_quote(uow: UnitOfWork, actor: Actor, given: ApproveQuote) -> int:
    """DRAFT -> APPROVED: the quote can now be accepted."""
    access.authorize(actor, "approveQuote")

    async def work(session: AsyncSession) -> int:
        row = await _locked_quote(session, given.id)
        assert row.id is not None
        if row.status == "APPROVED":
            return row.id
        if row.status != "DRAFT":
            raise refuse(
                ("id",),
                ErrorCode.QUOTE_NOT_DRAFT,
                _NOT_DRAFT.format(status=row.status, action="approved"),
            )
        await set_status(session, row, "APPROVED")
        _record(session, actor, "approveQuote", row.id, given)
        return row.id

    return await uow.run(work)


async def void_quote(uow: UnitOfWork, actor: Actor, given: VoidQuote) -> int:
    """Withdraw a DRAFT or APPROVED quote, saying why."""
    access.authorize(actor, "voidQuote")

    async def work(session: AsyncSession) -> int:
        row = await _locked_quote(session, given.id)
        assert row.id is not None
        if row.status == "VOIDED":
            return row.id
        if row.status == "ACCEPTED":
            raise refuse(
                ("id",),
                ErrorCode.QUOTE_ACCEPTED,
                "the quote was accepted; end its contract instead",
            )
        refuse_if(text_errors(("reason",), given.reason, max_length=VOID_REASON_LENGTH))
        await set_status(session, row, "VOIDED", void_reason=given.reason)
        _record(session, actor, "voidQuote", row.id, given)
        return row.id

    return await uow.run(work)


def _on_id(problems: list[Problem], revision: int) -> list[Problem]:
    """Problems with a stored revision's terms, on the quote's ID, naming the field."""
    return [
        Problem(
            field="input.id",
            code=p.code,
            message=f"revision {revision}, "
            f"{(p.field or 'input').replace('input', 'quote', 1)}: {p.message}",
        )
        for p in problems
    ]


async def accept_quote(uow: UnitOfWork, actor: Actor, given: AcceptQuote) -> int:
    """Sign an APPROVED quote: creates the customer (for a prospect) and the contract with
    exactly the quoted terms, in one transaction; returns the quote's id (its
    `accepted_contract_id` names the contract). Accepting again changes nothing."""
    access.authorize(actor, "acceptQuote")
    if given.accepted_on is not None:
        message = date_out_of_range(given.accepted_on)
        if message is not None:
            raise refuse(("accepted_on",), ErrorCode.INVALID_DATES, message)

    async def work(session: AsyncSession) -> int:
        row = await _locked_quote(session, given.id)
        assert row.id is not None
        if row.status == "ACCEPTED":
            return row.id
        if row.status == "VOIDED":
            raise refuse(
                ("id",), ErrorCode.QUOTE_VOIDED, f"the quote was voided: {row.void_reason}"
            )
        if row.status != "APPROVED":
            raise refuse(
                ("id",), ErrorCode.QUOTE_NOT_APPROVED, "the quote is a DRAFT; approve it first"
            )
        day = given.accepted_on or datetime.now(UTC).date()
        if day > row.valid_until:
            raise refuse(
                ("accepted_on",),
                ErrorCode.QUOTE_EXPIRED,
                f"the quote was valid until {row.valid_until}; accepted on {day}",
            )
        stored = await current_revision(session, row)
        customer = await _signing_customer(session, row)
        request: QuoteRequest = from_json(QuoteRequest, stored.input)
        log = {
            "savedQuoteId": global_id("SavedQuote", row.id),
            "savedQuoteRevision": row.current_revision,
            **{k: v for k, v in stored.input.items() if k not in ("periods", "usage")},
        }
        try:
            plan_row, plan = await published_plan(session, request.plan_id, ("plan_id",))
            contract_id = await open_contract(session, customer, plan_row, plan, request, log)
            if request.plan_change is not None:
                await _sign_plan_change(session, contract_id, request.plan_change, log)
        except DomainError as refused:
            raise DomainError(_on_id(refused.problems, row.current_revision)) from None
        await set_status(
            session,
            row,
            "ACCEPTED",
            customer_id=customer.id,
            accepted_contract_id=contract_id,
            accepted_on=day,
        )
        assert customer.id is not None
        _record(session, actor, "acceptQuote", row.id, given, (customer.id, contract_id))
        return row.id

    return await uow.run(work)


async def _sign_plan_change(
    session: AsyncSession, contract_id: int, change: QuotePlanChange, log: dict[str, Any]
) -> None:
    """The quoted plan change, signed with the contract as its second revision (CHANGE_PLAN):
    what was quoted is what is signed."""
    target_row, _ = await published_plan(session, change.plan_id, ("plan_change", "plan_id"))
    contract = await bump_revision(session, contract_id, 1)
    assert target_row.id is not None
    await move_to_plan(
        session, contract, target_row.id, change.effective_date, log, kind="CHANGE_PLAN"
    )


async def _signing_customer(session: AsyncSession, row: SavedQuoteRow) -> CustomerRow:
    """The quoted customer, its row locked (contracts check overlaps under that lock), or a
    new customer from the prospect. A prospect whose external ID has meanwhile become a
    customer's is refused (DUPLICATE_KEY): the quote may not sign for an account it did not
    name; void it and quote that customer by ID."""
    if row.customer_id is not None:
        customer = await lock_customer(session, row.customer_id)
        assert customer is not None  # the quote is deleted with its customer
        return customer
    assert row.prospect_external_id is not None
    if await customer_with_external_id(session, row.prospect_external_id) is not None:
        raise refuse(
            ("id",),
            ErrorCode.DUPLICATE_KEY,
            f"a customer with external ID {row.prospect_external_id!r} exists now; void this "
            "quote and quote that customer by customerId",
        )
    return await insert_prospect_customer(session, row)


# -- reads ---------------------------------------------------------------------------------


async def saved_quote(uow: UnitOfWork, actor: Actor, quote_id: int) -> SavedQuoteRow | None:
    """One saved quote by database id (None when there is none)."""
    access.authorize(actor, "savedQuote")
    return await _saved_quote_by_id(uow.read, quote_id)


async def saved_quotes_page(
    uow: UnitOfWork, actor: Actor, offset: int, limit: int, *, status: str | None = None
) -> tuple[list[SavedQuoteRow], int]:
    """A page of saved quotes, oldest first (of one status if given), and how many in all."""
    access.authorize(actor, "savedQuotes")
    return await _saved_quotes_page(uow.read, offset, limit, status=status)
