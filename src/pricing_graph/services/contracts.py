"""Contracts: sign, amend, end and move to another plan version; and the contract reads.

Every write is one transaction, idempotent by key, and (but for signing) guarded by the
contract's revision: the caller passes the revision it read, and a stale one is a CONFLICT
that writes nothing. Each write appends one amendment row carrying the request, so the
history is never overwritten. Contract writes of one customer lock its row first, so two of
them cannot both miss an overlapping contract.

The writes are an admin's (`services.access`), each audited in its transaction. A partner
reads the contracts of the customers it owns; another partner's contract reads exactly as
a missing one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating import models
from pricing_graph.rating.calendar import BillingCalendar
from pricing_graph.rating.errors import RatingError
from pricing_graph.rating.plan_checks import Path
from pricing_graph.rating.terms import SettingOverrides
from pricing_graph.services import access, audit
from pricing_graph.services.actor import Actor
from pricing_graph.services.catalog.inputs import TrialSpec
from pricing_graph.services.catalog.products import Load, argument_id
from pricing_graph.services.customers import visible
from pricing_graph.services.discounts import (
    DiscountSpec,
    EndDiscount,
    amended_discounts,
    granted_discounts,
    write_amended_discounts,
    write_granted,
)
from pricing_graph.services.errors import (
    ErrorCode,
    Problem,
    field_path,
    not_found,
    problem,
    refuse,
    refuse_if,
)
from pricing_graph.services.idempotency import idempotent_write
from pricing_graph.services.ids import db_id
from pricing_graph.services.terms import (
    CommitmentSpec,
    ContractSettingsSpec,
    CreditGrantSpec,
    PriceAdjustmentSpec,
    TermsFields,
    adjustments_from_input,
    build_terms,
    commitments_from_input,
    date_errors,
    grants_from_input,
    terms_errors,
    terms_problems,
)
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.store.catalog import PlanRow
from pricing_graph.store.catalog_repo import load_plan, session_reader
from pricing_graph.store.contracts import (
    ContractRow,
    CustomerRow,
    adjustment_by_id,
    claim_revision,
    lock_customer,
    overlapping_contract,
    plan_row_by_id,
)
from pricing_graph.store.contracts import contracts_page as _contracts_page
from pricing_graph.store.contracts import customer_by_id as _customer_by_id
from pricing_graph.store.contracts_repo import (
    ContractRecord,
    amend_terms,
    insert_contract,
    load_record,
    load_records,
    move_to_plan,
    set_end_date,
)

# Inputs: the same field names, in the same order, as the GraphQL inputs; global IDs stay
# strings (decoded here, so their errors name the input field).


@dataclass(frozen=True, slots=True)
class NewContract:
    """A customer on a published plan version (pinned) with their own terms."""

    customer_id: str
    plan_id: str
    start_date: date
    end_date: date | None = None  # exclusive
    billing_interval: models.BillingInterval | None = None
    billing_anchor: models.BillingAnchor | None = None
    settings: ContractSettingsSpec | None = None
    adjustments: tuple[PriceAdjustmentSpec, ...] = ()
    credit_grants: tuple[CreditGrantSpec, ...] = ()
    commitments: tuple[CommitmentSpec, ...] = ()
    idempotency_key: str | None = None
    discounts: tuple[DiscountSpec, ...] = ()
    promotion_code: str | None = None
    apply_plan_discounts: bool = True


@dataclass(frozen=True, slots=True)
class EndAdjustment:
    adjustment_id: str
    effective_until: date  # the first day it no longer applies


@dataclass(frozen=True, slots=True)
class ChangeSettings:
    effective_from: date
    net_payment_days: int | None = None
    auto_pay: bool | None = None
    trial: TrialSpec | None = None
    invoice_minimum: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AmendContract:
    """Changes to a contract; each call is one revision."""

    contract_id: str
    expected_revision: int
    add_adjustments: tuple[PriceAdjustmentSpec, ...] = ()
    end_adjustments: tuple[EndAdjustment, ...] = ()
    grant_credits: tuple[CreditGrantSpec, ...] = ()
    add_commitments: tuple[CommitmentSpec, ...] = ()
    change_settings: ChangeSettings | None = None
    idempotency_key: str | None = None
    add_discounts: tuple[DiscountSpec, ...] = ()
    end_discounts: tuple[EndDiscount, ...] = ()


@dataclass(frozen=True, slots=True)
class EndContract:
    contract_id: str
    end_date: date  # exclusive: the first day not covered
    expected_revision: int
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class MoveContractToPlanVersion:
    contract_id: str
    plan_id: str  # a published version of the same plan key
    effective_from: date  # must start a billing period
    expected_revision: int
    idempotency_key: str | None = None


def request_json(given: Any) -> dict[str, Any]:
    """The input as the amendment log keeps it (without its idempotency key)."""
    data = dataclasses.asdict(given)
    data.pop("idempotency_key", None)
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return loaded


# Operations


async def create_contract(uow: UnitOfWork, actor: Actor, given: NewContract) -> int:
    """Put a customer on a published plan version, with terms; returns the contract's id."""
    access.authorize(actor, "createContract")

    async def work(session: AsyncSession) -> int:
        customer_id = db_id(("customer_id",), given.customer_id, "Customer")
        customer = await lock_customer(session, customer_id)
        if customer is None:
            raise not_found(("customer_id",), "customer", given.customer_id)
        plan_row, plan = await published_plan(session, given.plan_id, ("plan_id",))
        cid = await open_contract(session, customer, plan_row, plan, given, request_json(given))
        audit.record(
            session,
            actor,
            "createContract",
            object_type="Contract",
            object_id=cid,
            object_ids=[customer_id],
            given=given,
        )
        return cid

    return await idempotent_write(uow, "createContract", given, work, caller=actor.caller_id)


async def amend_contract(uow: UnitOfWork, actor: Actor, given: AmendContract) -> int:
    """Add or end adjustments, grant credits, add commitments or change settings from a date
    forward, as one revision; returns the contract's id."""
    access.authorize(actor, "amendContract")

    async def work(session: AsyncSession) -> int:
        cid = db_id(("contract_id",), given.contract_id, "Contract")
        contract = await _bump_revision(session, cid, given.expected_revision)
        record = await load_record(session, cid)
        loaded = await load_plan(session, record.plans[-1].plan_id)
        assert loaded is not None
        plan = loaded[1]
        current = record.terms_on(record.settings[-1].effective_from)
        errors: list[Problem] = []
        added = adjustments_from_input(given.add_adjustments, ("add_adjustments",), plan, errors)
        grants = grants_from_input(
            given.grant_credits, ("grant_credits",), plan.pricing_unit, contract.start_date, errors
        )
        commitments = commitments_from_input(given.add_commitments, ("add_commitments",), errors)
        ended = await _ended_adjustments(session, cid, given, errors)
        adjustments = tuple(
            replace(a, effective_until=ended.get(row.id, a.effective_until))
            for row, a in zip(record.adjustments, current.adjustments, strict=True)
        )
        settings = _changed_settings(contract, record, given, errors)
        discounts = amended_discounts(current.discounts, given, plan, errors)
        terms = replace(
            current,
            discounts=discounts.terms,
            adjustments=adjustments + added,
            credit_grants=current.credit_grants + grants,
            commitments=current.commitments + commitments,
            overrides=settings.overrides if settings else current.overrides,
        )
        refuse_if(
            errors
            or terms_errors(
                plan,
                terms,
                renames={
                    "adjustments": ("addAdjustments", -len(current.adjustments)),
                    "credit_grants": ("grantCredits", -len(current.credit_grants)),
                    "commitments": ("addCommitments", -len(current.commitments)),
                    "overrides": ("changeSettings", 0),
                    "discounts": ("addDiscounts", -len(current.discounts)),
                },
            )
        )
        await amend_terms(
            session,
            record,
            contract.revision,
            ended=ended,
            added=added,
            grants=grants,
            commitments=commitments,
            settings_from=settings.effective_from if settings else None,
            overrides=settings.overrides if settings else None,
            request=request_json(given),
        )
        await write_amended_discounts(session, cid, discounts, contract.revision)
        _audit(session, actor, "amendContract", cid, given)
        return cid

    return await idempotent_write(uow, "amendContract", given, work, caller=actor.caller_id)


async def end_contract(uow: UnitOfWork, actor: Actor, given: EndContract) -> int:
    """Set the contract's end date (exclusive); returns the contract's id."""
    access.authorize(actor, "endContract")

    async def work(session: AsyncSession) -> int:
        cid = db_id(("contract_id",), given.contract_id, "Contract")
        contract = await _bump_revision(session, cid, given.expected_revision)
        if given.end_date <= contract.start_date:
            raise refuse(
                ("end_date",),
                ErrorCode.INVALID_DATES,
                f"the end must be after the start {contract.start_date}",
            )
        await lock_customer(session, contract.customer_id)
        clash = await overlapping_contract(
            session,
            contract.customer_id,
            contract.product_id,
            contract.start_date,
            given.end_date,
            besides=cid,
        )
        if clash is not None:
            raise refuse(
                ("end_date",),
                ErrorCode.OVERLAPPING_CONTRACT,
                f"the customer's next contract for this product starts "
                f"{clash.start_date}; end this one by then",
            )
        record = await load_record(session, cid)
        loaded = await load_plan(session, record.plans[-1].plan_id)
        assert loaded is not None
        terms = replace(record.terms_on(record.settings[-1].effective_from), end=given.end_date)
        refuse_if(_on_field(terms_errors(loaded[1], terms), ("end_date",)))
        await set_end_date(session, contract, given.end_date, request_json(given))
        _audit(session, actor, "endContract", cid, given)
        return cid

    return await idempotent_write(uow, "endContract", given, work, caller=actor.caller_id)


async def move_contract_to_plan_version(
    uow: UnitOfWork, actor: Actor, given: MoveContractToPlanVersion
) -> int:
    """Move to another published version of the same plan from a period start; earlier
    periods keep the version they were signed on. Returns the contract's id."""
    access.authorize(actor, "moveContractToPlanVersion")

    async def work(session: AsyncSession) -> int:
        cid = db_id(("contract_id",), given.contract_id, "Contract")
        contract = await _bump_revision(session, cid, given.expected_revision)
        record = await load_record(session, cid)
        current = await plan_row_by_id(session, record.plans[-1].plan_id)
        target_row, target = await published_plan(session, given.plan_id, ("plan_id",))
        assert current is not None and target_row.id is not None
        errors: list[Problem] = []
        if target_row.key != current.key or target_row.id == current.id:
            errors.append(
                problem(
                    ("plan_id",),
                    ErrorCode.INVALID_VALUE,
                    f"move to another version of {current.key} (now v{current.version})",
                )
            )
        if target_row.pricing_unit_code != current.pricing_unit_code:
            errors.append(
                problem(
                    ("plan_id",),
                    ErrorCode.CURRENCY_MISMATCH,
                    f"v{target_row.version} is priced in {target_row.pricing_unit_code}, "
                    f"the contract in {current.pricing_unit_code}",
                )
            )
        if given.effective_from <= record.plans[-1].effective_from:
            errors.append(
                problem(
                    ("effective_from",),
                    ErrorCode.INVALID_DATES,
                    f"must be after the current version's start {record.plans[-1].effective_from}",
                )
            )
        else:
            boundary = _period_boundary_error(contract, given.effective_from, ("effective_from",))
            errors += [boundary] if boundary else []
        refuse_if(errors)
        refuse_if(
            _on_field(terms_errors(target, record.terms_on(given.effective_from)), ("plan_id",))
        )
        await move_to_plan(
            session, contract, target_row.id, given.effective_from, request_json(given)
        )
        _audit(session, actor, "moveContractToPlanVersion", cid, given)
        return cid

    return await idempotent_write(
        uow, "moveContractToPlanVersion", given, work, caller=actor.caller_id
    )


# Shared with quotes (acceptQuote signs through `open_contract`)


async def published_plan(
    session: AsyncSession, global_id: str, path: Path
) -> tuple[PlanRow, models.Plan]:
    """The plan version a contract may be signed on, or a refusal at `path`."""
    loaded = await load_plan(session, db_id(path, global_id, "Plan"))
    if loaded is None:
        raise not_found(path, "plan", global_id)
    row, plan = loaded
    if row.status == "DRAFT":
        raise refuse(
            path,
            ErrorCode.PLAN_NOT_PUBLISHED,
            f"plan {row.key} v{row.version} is a draft; publish it before signing",
        )
    if row.status == "ARCHIVED":
        raise refuse(
            path,
            ErrorCode.PLAN_ARCHIVED,
            f"plan {row.key} v{row.version} is archived; use its latest published version",
        )
    return row, plan


async def open_contract(
    session: AsyncSession,
    customer: CustomerRow,
    plan_row: PlanRow,
    plan: models.Plan,
    given: TermsFields,
    request: dict[str, Any],
) -> int:
    """Validate `given` terms for `customer` (whose row the caller has locked) on a
    published plan version and write the contract, its terms and its CREATE amendment
    (carrying `request`). Shared by createContract and acceptQuote, so a quote signs under
    the same rules."""
    assert customer.id is not None and plan_row.id is not None
    errors = date_errors(given)
    clash = await overlapping_contract(
        session, customer.id, plan_row.product_id, given.start_date, given.end_date
    )
    if clash is not None:
        errors.append(
            problem(
                ("start_date",),
                ErrorCode.OVERLAPPING_CONTRACT,
                f"{customer.external_id} already has a contract for this product in "
                "that time; end it first",
            )
        )
    terms = build_terms(plan, given, errors)
    granted = await granted_discounts(session_reader(session), plan_row.id, plan, given, errors)
    terms = replace(terms, discounts=granted.terms)
    refuse_if(errors or terms_problems(plan, terms))
    cid = await insert_contract(
        session,
        customer_id=customer.id,
        product_id=plan_row.product_id,
        plan_id=plan_row.id,
        terms=terms,
        request=request,
    )
    await write_granted(session, cid, granted)
    return cid


# Reads


async def contracts_page(
    uow: UnitOfWork,
    actor: Actor,
    offset: int,
    limit: int,
    *,
    customer_id: int | None = None,
    customer: str | None = None,
) -> tuple[list[ContractRow], int]:
    """A page of contracts by id (of one customer if given: by database id, or by the global
    ID of the `customerId` argument, decoded after the policy check), and how many there
    are. A partner's page holds the contracts of its own customers only."""
    rule = access.authorize(actor, "contracts")
    if customer is not None:
        customer_id = argument_id("customerId", customer, "Customer")
    partner_owner = None
    if rule is not access.ALL:
        if actor.partner is None or rule is not access.OWN:
            return [], 0
        partner_owner = actor.partner
    return await _contracts_page(
        uow.read, offset, limit, customer_id=customer_id, partner_owner=partner_owner
    )


async def contract_by_id(
    uow: UnitOfWork,
    actor: Actor,
    global_id: str,
    load: Load[ContractRecord] | None = None,
    load_customer: Load[CustomerRow] | None = None,
    *,
    operation: str = "contract",
) -> ContractRecord | None:
    """The contract `global_id` names with its terms, if the caller may see its customer;
    `operation` is `contract` or `node:Contract`. The GraphQL edge passes its loaders."""
    rule = access.authorize(actor, operation)
    contract_id = argument_id("id", global_id, "Contract")
    record = await (load or _record_loader(uow))(contract_id)
    if record is None or rule is access.ALL:
        return record
    customer = await (load_customer or _customer_loader(uow))(record.contract.customer_id)
    return record if visible(actor, rule, customer) is not None else None


def _record_loader(uow: UnitOfWork) -> Load[ContractRecord]:
    async def load(contract_id: int) -> ContractRecord | None:
        records: Sequence[ContractRecord] = await load_records(uow.read, [contract_id])
        return records[0] if records else None

    return load


def _customer_loader(uow: UnitOfWork) -> Load[CustomerRow]:
    async def load(customer_id: int) -> CustomerRow | None:
        return await _customer_by_id(uow.read, customer_id)

    return load


# Helpers


def _audit(session: AsyncSession, actor: Actor, operation: str, cid: int, given: Any) -> None:
    audit.record(session, actor, operation, object_type="Contract", object_id=cid, given=given)


async def _bump_revision(session: AsyncSession, contract_id: int, expected: int) -> ContractRow:
    """Claim the next revision, or refuse: the compare-and-set is one UPDATE, so two
    concurrent amendments of the same revision cannot both succeed."""
    row, claimed = await claim_revision(session, contract_id, expected)
    if row is None:
        raise not_found(("contract_id",), "contract", str(contract_id))
    if not claimed:
        raise refuse(
            ("expected_revision",),
            ErrorCode.CONFLICT,
            f"the contract is at revision {row.revision}, not {expected}: read it again and retry",
        )
    return row


def _on_field(errors: list[Problem], path: Path) -> list[Problem]:
    """Problems the rating core found in stored terms, put on the input field that caused
    them (their own path names a stored term, not an input field)."""
    field = field_path(path)
    return [
        Problem(
            field=field,
            code=e.code,
            message=f"{(e.field or '').removeprefix('input.')}: {e.message}",
        )
        for e in errors
    ]


def _period_boundary_error(contract: ContractRow, day: date, path: Path) -> Problem | None:
    calendar = BillingCalendar(
        contract.start_date,
        contract.end_date,
        models.BillingInterval(contract.billing_interval),
        models.BillingAnchor(contract.billing_anchor),
    )
    try:
        period = calendar.period(calendar.index_of(day))
    except RatingError as outside:
        return problem(path, ErrorCode.INVALID_DATES, outside.message)
    if period.start != day:
        return problem(
            path,
            ErrorCode.NOT_PERIOD_BOUNDARY,
            f"{day.isoformat()} is inside the period that starts {period.start.isoformat()}; "
            "use a period's first day",
        )
    return None


async def _ended_adjustments(
    session: AsyncSession, contract_id: int, given: AmendContract, errors: list[Problem]
) -> dict[int | None, date]:
    ended: dict[int | None, date] = {}
    for index, item in enumerate(given.end_adjustments):
        path: Path = ("end_adjustments", index, "adjustment_id")
        adjustment_id = db_id(path, item.adjustment_id, "ContractAdjustment")
        row = await adjustment_by_id(session, adjustment_id)
        if row is None or row.contract_id != contract_id:
            errors.append(problem(path, ErrorCode.NOT_FOUND, "no such adjustment on this contract"))
            continue
        if row.effective_from is not None and item.effective_until <= row.effective_from:
            errors.append(
                problem(
                    ("end_adjustments", index, "effective_until"),
                    ErrorCode.INVALID_TERMS,
                    f"the adjustment starts {row.effective_from}; end it after that",
                )
            )
        ended[row.id] = item.effective_until
    return ended


@dataclass(frozen=True, slots=True)
class _SettingsChange:
    effective_from: date
    overrides: SettingOverrides


def _changed_settings(
    contract: ContractRow, record: ContractRecord, given: AmendContract, errors: list[Problem]
) -> _SettingsChange | None:
    change = given.change_settings
    if change is None:
        return None
    path: Path = ("change_settings", "effective_from")
    day = change.effective_from
    if day < contract.start_date or (contract.end_date is not None and day >= contract.end_date):
        errors.append(problem(path, ErrorCode.INVALID_DATES, "must fall within the contract"))
    if any(s.effective_from == day for s in record.settings):
        errors.append(
            problem(
                path,
                ErrorCode.INVALID_DATES,
                f"settings already change on {day}; history is kept, so pick another date",
            )
        )
    base = record.terms_on(day).overrides
    overrides = replace(
        base,
        net_payment_days=change.net_payment_days
        if change.net_payment_days is not None
        else base.net_payment_days,
        auto_pay=change.auto_pay if change.auto_pay is not None else base.auto_pay,
        trial=models.Trial(change.trial.days, change.trial.spending_cap)
        if change.trial
        else base.trial,
        invoice_minimum=change.invoice_minimum
        if change.invoice_minimum is not None
        else base.invoice_minimum,
    )
    return _SettingsChange(day, overrides)
