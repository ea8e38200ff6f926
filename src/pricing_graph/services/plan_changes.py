"""Plan changes: move a contract to another published plan of its product at a date
(`changeContractPlan`), and what it would do to the invoices (`previewContractChange`).

A change on a period's first day rates that period and the next by the new plan; a change on
any other day splits its period (`rating.proration`: fixed fees prorated by days on both
sides, usage priced by the plan in force on the day it happened). With `prorate: false` the
change waits for the first period boundary on or after the date, so nothing is prorated.
The history is kept: the contract gets a `contract_plan` row from the day and a CHANGE_PLAN
amendment, under the same revision check as every contract write.

Access (services.access): an admin changes any contract, a partner those of the customers
it owns (another's is NOT_FOUND, as a missing one); the preview is also open to sales.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating import InvoicePreview, RatingError, models
from pricing_graph.rating.calendar import BillingCalendar
from pricing_graph.rating.errors import PeriodOutOfRange
from pricing_graph.rating.models import ZERO
from pricing_graph.rating.timing import IssuedInvoice, issued_invoices
from pricing_graph.services import access, audit
from pricing_graph.services.actor import Actor
from pricing_graph.services.billing import (
    MAX_PERIOD_INDEX,
    TOO_LARGE,
    ContractRating,
    RatingReads,
    StoreReads,
    contract_rating,
    invoices_through,
)
from pricing_graph.services.contracts import (
    _bump_revision,
    _on_field,
    published_plan,
    request_json,
)
from pricing_graph.services.errors import DomainError, ErrorCode, Problem, not_found, problem
from pricing_graph.services.idempotency import idempotent_write
from pricing_graph.services.ids import db_id
from pricing_graph.services.terms import terms_errors
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.services.validation import date_out_of_range
from pricing_graph.store.catalog_repo import LoadedPlan, load_plan, session_reader
from pricing_graph.store.contracts import ContractPlanRow, customer_by_id
from pricing_graph.store.contracts_repo import ContractRecord, load_records, move_to_plan


@dataclass(frozen=True, slots=True)
class ChangeContractPlan:
    contract_id: str
    plan_id: str  # a published plan (any key, any version) of the contract's product
    effective_date: date  # any day of the contract (a period's first day: no proration)
    expected_revision: int
    prorate: bool = True  # False: the change waits for the next period boundary
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ContractChangeQuestion:
    """previewContractChange's arguments (the change, without writing it)."""

    contract_id: str
    plan_id: str
    effective_date: date
    prorate: bool = True


@dataclass(frozen=True, slots=True)
class ChangePreview:
    """The invoices of the period the change falls in and of the next one (when the
    contract has it), as they are and as they would be; `difference = changed total -
    current total`. `issued_*` are the same charges as invoice documents by issue date;
    `due_on_change` is what the change itself invoices on `effective_date` (prorated fees:
    the new fee for the rest of the period less the unused part of the old one)."""

    effective_date: date
    current: tuple[InvoicePreview, ...]
    changed: tuple[InvoicePreview, ...]
    current_issued: tuple[IssuedInvoice, ...]
    changed_issued: tuple[IssuedInvoice, ...]
    current_total: Decimal
    changed_total: Decimal
    difference: Decimal
    due_on_change: Decimal


@dataclass(frozen=True, slots=True)
class _Checked:
    effective: date
    target: LoadedPlan


def _effective_day(rating: ContractRating, day: date, prorate: bool) -> date | Problem:
    contract = rating.record.contract
    path = ("effective_date",)
    if day < contract.start_date or (contract.end_date is not None and day >= contract.end_date):
        return problem(path, ErrorCode.INVALID_DATES, "must fall within the contract")
    period = rating.calendar.period(rating.calendar.index_of(day))
    if prorate or period.start == day:
        return day
    try:
        return rating.calendar.period(period.index + 1).start
    except PeriodOutOfRange:
        return problem(
            path,
            ErrorCode.INVALID_DATES,
            f"without proration the change waits for {period.end.isoformat()}, when the "
            "contract has ended",
        )


def _check(
    rating: ContractRating, target: LoadedPlan, day: date, prorate: bool
) -> _Checked | list[Problem]:
    out_of_range = date_out_of_range(day)
    if out_of_range is not None:
        return [problem(("effective_date",), ErrorCode.INVALID_DATES, out_of_range)]
    errors: list[Problem] = []
    record = rating.record
    row = target.row
    current_id = record.plan_id_on(day)
    current = rating.plans[current_id].row
    if row.product_id != record.contract.product_id:
        errors.append(
            problem(
                ("plan_id",),
                ErrorCode.INVALID_VALUE,
                f"plan {row.key} is another product's; a contract changes plans within its product",
            )
        )
    elif row.id == current_id:
        errors.append(
            problem(
                ("plan_id",),
                ErrorCode.INVALID_VALUE,
                f"the contract is on {row.key} v{row.version} then already",
            )
        )
    if row.pricing_unit_code != current.pricing_unit_code:
        errors.append(
            problem(
                ("plan_id",),
                ErrorCode.CURRENCY_MISMATCH,
                f"{row.key} v{row.version} is priced in {row.pricing_unit_code}, the contract "
                f"in {current.pricing_unit_code}",
            )
        )
    effective = _effective_day(rating, day, prorate)
    if isinstance(effective, Problem):
        return [*errors, effective]
    if rating.calendar.index_of(effective) > MAX_PERIOD_INDEX:  # bounds the periods rated
        errors.append(
            problem(
                ("effective_date",),
                ErrorCode.INVALID_DATES,
                f"must fall in one of the contract's first {MAX_PERIOD_INDEX + 1} periods",
            )
        )
        return errors
    last = record.plans[-1].effective_from
    if effective <= last:
        errors.append(
            problem(
                ("effective_date",),
                ErrorCode.INVALID_DATES,
                f"must be after the last plan change, on {last.isoformat()}; history is kept",
            )
        )
    if errors:
        return errors
    found = _on_field(terms_errors(target.plan, record.terms_on(effective)), ("plan_id",))
    return found or _Checked(effective, target)


def _changed(rating: ContractRating, checked: _Checked) -> ContractRating:
    record = rating.record
    target = checked.target
    assert target.row.id is not None
    row = ContractPlanRow(
        contract_id=record.contract.id or 0,
        plan_id=target.row.id,
        effective_from=checked.effective,
    )
    return replace(
        rating,
        record=replace(record, plans=(*record.plans, row)),
        plans={**rating.plans, target.row.id: target},
    )


def _total(invoices: tuple[InvoicePreview, ...]) -> Decimal:
    return sum((inv.total for inv in invoices), ZERO)


async def _affected(
    reads: RatingReads, rating: ContractRating, first: int, last: int
) -> tuple[InvoicePreview, ...]:
    return tuple((await invoices_through(reads, rating, last))[first:])


async def preview_contract_change(
    uow: UnitOfWork,
    actor: Actor,
    given: ContractChangeQuestion,
    *,
    reads: RatingReads | None = None,
) -> ChangePreview:
    """What `changeContractPlan` with these arguments would do, writing nothing."""
    rule = access.authorize(actor, "previewContractChange")
    contract_id = db_id(("contract_id",), given.contract_id, "Contract")
    plan_id = db_id(("plan_id",), given.plan_id, "Plan")
    reads = reads or StoreReads(uow)
    try:
        rating = await contract_rating(reads, contract_id, actor=actor, rule=rule)
    except DomainError:
        raise not_found(("contract_id",), "contract", given.contract_id) from None
    [target] = await reads.plans([plan_id])
    if target is None or target.row.status != "PUBLISHED":
        raise not_found(("plan_id",), "published plan", given.plan_id)
    checked = _check(rating, target, given.effective_date, given.prorate)
    if isinstance(checked, list):
        raise DomainError(checked)
    changed = _changed(rating, checked)
    first = rating.calendar.index_of(checked.effective)
    count = rating.calendar.period_count()
    last = first + 1 if count is None else min(first + 1, count - 1)
    try:
        before = await _affected(reads, rating, first, last)
        after = await _affected(reads, changed, first, last)
    except RatingError as refused:
        raise DomainError(
            [problem(("plan_id",), ErrorCode.INVALID_TERMS, refused.message)]
        ) from None
    except ArithmeticError:
        raise DomainError([problem(("plan_id",), ErrorCode.INVALID_VALUE, TOO_LARGE)]) from None
    after_issued = issued_invoices(after)
    zero = ZERO.quantize(after[0].total) if after else ZERO  # "0.00" in USD
    on_change = next((d.total for d in after_issued if d.issue_date == checked.effective), zero)
    if rating.calendar.period(first).start == checked.effective:
        on_change = zero  # a boundary change is invoiced with the period, not on its own
    current_total, changed_total = _total(before), _total(after)
    return ChangePreview(
        effective_date=checked.effective,
        current=before,
        changed=after,
        current_issued=issued_invoices(before),
        changed_issued=after_issued,
        current_total=current_total,
        changed_total=changed_total,
        difference=changed_total - current_total,
        due_on_change=on_change,
    )


async def change_contract_plan(uow: UnitOfWork, actor: Actor, given: ChangeContractPlan) -> int:
    """Move the contract to another published plan of its product from a date; returns the
    contract's id."""
    rule = access.authorize(actor, "changeContractPlan")

    async def work(session: AsyncSession) -> int:
        cid = db_id(("contract_id",), given.contract_id, "Contract")
        read = session_reader(session)
        found = await load_records(read, [cid])
        # A partner's view: another partner's contract is exactly a missing one, before any
        # revision check could tell it exists.
        if not found or (
            rule is not access.ALL
            and not access.owns(
                actor,
                getattr(
                    await customer_by_id(read, found[0].contract.customer_id),
                    "partner_owner",
                    None,
                ),
            )
        ):
            raise not_found(("contract_id",), "contract", given.contract_id)
        contract = await _bump_revision(session, cid, given.expected_revision)
        target_row, target_plan = await published_plan(session, given.plan_id, ("plan_id",))
        record = found[0]
        plans: dict[int, LoadedPlan] = {}
        for plan_id in {p.plan_id for p in record.plans}:
            loaded = await load_plan(session, plan_id)
            assert loaded is not None
            plans[plan_id] = LoadedPlan(loaded[0], loaded[1], {})
        target = LoadedPlan(target_row, target_plan, {})
        rating = ContractRating(record, plans, _calendar(record), {})
        checked = _check(rating, target, given.effective_date, given.prorate)
        if isinstance(checked, list):
            raise DomainError(checked)
        assert target_row.id is not None
        await move_to_plan(
            session,
            contract,
            target_row.id,
            checked.effective,
            request_json(given),
            kind="CHANGE_PLAN",
        )
        audit.record(
            session,
            actor,
            "changeContractPlan",
            object_type="Contract",
            object_id=cid,
            given=given,
        )
        return cid

    return await idempotent_write(uow, "changeContractPlan", given, work, caller=actor.caller_id)


def _calendar(record: ContractRecord) -> BillingCalendar:
    contract = record.contract
    return BillingCalendar(
        contract.start_date,
        contract.end_date,
        models.BillingInterval(contract.billing_interval),
        models.BillingAnchor(contract.billing_anchor),
    )
