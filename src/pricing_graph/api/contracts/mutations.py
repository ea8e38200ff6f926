"""Customer and contract mutations: one transaction each, idempotent, revision-guarded."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from datetime import date
from typing import Any

import strawberry
from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.api.catalog.plan_input import text_errors
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.context import Context
from pricing_graph.api.contracts.inputs import (
    AmendContractInput,
    CreateContractInput,
    CreateCustomerInput,
    EndContractInput,
    MoveContractToPlanVersionInput,
)
from pricing_graph.api.contracts.terms_input import (
    TermsFields,
    adjustments_from_input,
    build_terms,
    commitments_from_input,
    date_errors,
    grants_from_input,
    terms_errors,
    terms_problems,
)
from pricing_graph.api.contracts.types import Contract, Customer
from pricing_graph.api.errors import ErrorCode, RefusedError, UserError, field_path, user_error
from pricing_graph.api.idempotency import idempotent_write
from pricing_graph.api.writes import db_id, not_found, refuse_if
from pricing_graph.rating import models
from pricing_graph.rating.calendar import BillingCalendar
from pricing_graph.rating.errors import RatingError
from pricing_graph.rating.plan_checks import Path
from pricing_graph.rating.terms import SettingOverrides
from pricing_graph.store.catalog import PlanRow
from pricing_graph.store.catalog_repo import load_plan
from pricing_graph.store.contracts import (
    ContractAdjustmentRow,
    ContractPlanRow,
    ContractRow,
    CustomerRow,
)
from pricing_graph.store.contracts_repo import (
    ContractRecord,
    adjustment_row,
    amendment,
    commitment_row,
    grant_row,
    load_records,
    session_reader,
    settings_row,
)


@strawberry.type
class CustomerPayload:
    customer: Customer | None
    errors: list[UserError]


@strawberry.type
class ContractPayload:
    contract: Contract | None
    errors: list[UserError]


def _as_json(given: Any) -> dict[str, Any]:
    data = dataclasses.asdict(given)
    data.pop("idempotency_key", None)
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return loaded


async def _customer_payload(
    context: Context, customer_id: int | None, errors: list[UserError]
) -> CustomerPayload:
    if customer_id is None:
        return CustomerPayload(customer=None, errors=errors)
    row = await context.loaders.customer_by_id.load(customer_id)
    assert row is not None
    return CustomerPayload(customer=Customer.from_row(row), errors=[])


async def _contract_payload(
    context: Context, contract_id: int | None, errors: list[UserError]
) -> ContractPayload:
    if contract_id is None:
        return ContractPayload(contract=None, errors=errors)
    record = await context.loaders.contract_record_by_id.load(contract_id)
    assert record is not None
    return ContractPayload(contract=Contract.from_row(record.contract), errors=[])


async def published_plan(
    session: AsyncSession, global_id: str, path: Path
) -> tuple[PlanRow, models.Plan]:
    loaded = await load_plan(session, db_id(path, global_id, "Plan"))
    if loaded is None:
        raise not_found(path, "plan", global_id)
    row, plan = loaded
    if row.status == "DRAFT":
        raise RefusedError(
            [
                user_error(
                    path,
                    ErrorCode.PLAN_NOT_PUBLISHED,
                    f"plan {row.key} v{row.version} is a draft; publish it before signing",
                )
            ]
        )
    if row.status == "ARCHIVED":
        raise RefusedError(
            [
                user_error(
                    path,
                    ErrorCode.PLAN_ARCHIVED,
                    f"plan {row.key} v{row.version} is archived; use its latest published version",
                )
            ]
        )
    return row, plan


async def _bump_revision(session: AsyncSession, contract_id: int, expected: int) -> ContractRow:
    """Claim the next revision, or refuse: the compare-and-set is one UPDATE, so two
    concurrent amendments of the same revision cannot both succeed."""
    result = await session.exec(
        update(ContractRow)
        .where(col(ContractRow.id) == contract_id, col(ContractRow.revision) == expected)
        .values(revision=expected + 1)
    )
    row = await session.get(ContractRow, contract_id, populate_existing=True)
    if row is None:
        raise not_found(("contract_id",), "contract", str(contract_id))
    if result.rowcount != 1:
        raise RefusedError(
            [
                user_error(
                    ("expected_revision",),
                    ErrorCode.CONFLICT,
                    f"the contract is at revision {row.revision}, not {expected}: "
                    "read it again and retry",
                )
            ]
        )
    return row


async def _overlapping(
    session: AsyncSession,
    customer_id: int,
    product_id: int,
    start: date,
    end: date | None,
    *,
    besides: int | None = None,
) -> ContractRow | None:
    """A contract of the customer for the product that shares a day with [start, end).
    Callers lock the customer row first, so two writes cannot both miss each other."""
    statement = select(ContractRow).where(
        ContractRow.customer_id == customer_id,
        ContractRow.product_id == product_id,
        or_(col(ContractRow.end_date).is_(None), col(ContractRow.end_date) > start),
    )
    if end is not None:
        statement = statement.where(col(ContractRow.start_date) < end)
    if besides is not None:
        statement = statement.where(col(ContractRow.id) != besides)
    return (await session.exec(statement.order_by(col(ContractRow.start_date)))).first()


def _on_field(errors: list[UserError], path: Path) -> list[UserError]:
    """Errors the rating core found in stored terms, put on the input field that caused them
    (their own path names a stored term, not an input field)."""
    field = field_path(path)
    return [
        UserError(
            field=field,
            code=e.code,
            message=f"{(e.field or '').removeprefix('input.')}: {e.message}",
        )
        for e in errors
    ]


async def _record(session: AsyncSession, contract_id: int) -> ContractRecord:
    [record] = await load_records(session_reader(session), [contract_id])
    return record


def _period_boundary_error(contract: ContractRow, day: date, path: Path) -> UserError | None:
    calendar = BillingCalendar(
        contract.start_date,
        contract.end_date,
        models.BillingInterval(contract.billing_interval),
        models.BillingAnchor(contract.billing_anchor),
    )
    try:
        period = calendar.period(calendar.index_of(day))
    except RatingError as outside:
        return user_error(path, ErrorCode.INVALID_DATES, outside.message)
    if period.start != day:
        return user_error(
            path,
            ErrorCode.NOT_PERIOD_BOUNDARY,
            f"{day.isoformat()} is inside the period that starts {period.start.isoformat()}; "
            "use a period's first day",
        )
    return None


async def open_contract(
    session: AsyncSession,
    customer: CustomerRow,
    plan_row: PlanRow,
    plan: models.Plan,
    given: TermsFields,
    request: dict[str, Any],
) -> int:
    """Validate `given` terms for `customer` (whose row the caller has locked) on a
    published plan version and write the contract, its terms and its CREATE amendment.
    Shared by createContract and acceptQuote, so a quote signs under the same rules."""
    assert customer.id is not None and plan_row.id is not None
    errors = date_errors(given)
    clash = await _overlapping(
        session, customer.id, plan_row.product_id, given.start_date, given.end_date
    )
    if clash is not None:
        errors.append(
            user_error(
                ("start_date",),
                ErrorCode.OVERLAPPING_CONTRACT,
                f"{customer.external_id} already has a contract for this product in "
                "that time; end it first",
            )
        )
    terms = build_terms(plan, given, errors)
    refuse_if(errors or terms_problems(plan, terms))
    contract = ContractRow(
        customer_id=customer.id,
        product_id=plan_row.product_id,
        start_date=given.start_date,
        end_date=given.end_date,
        billing_interval=(given.billing_interval or plan.billing_interval).value,
        billing_anchor=(given.billing_anchor or plan.billing_anchor).value,
    )
    session.add(contract)
    await session.flush()
    assert contract.id is not None
    cid = contract.id
    session.add(
        ContractPlanRow(contract_id=cid, plan_id=plan_row.id, effective_from=given.start_date)
    )
    session.add(settings_row(cid, given.start_date, terms.overrides))
    session.add_all(adjustment_row(cid, a, 1) for a in terms.adjustments)
    session.add_all(grant_row(cid, g, 1) for g in terms.credit_grants)
    session.add_all(commitment_row(cid, c, 1) for c in terms.commitments)
    session.add(amendment(cid, 1, "CREATE", given.start_date, request))
    await session.flush()
    return cid


@strawberry.type
class ContractMutation:
    @strawberry.mutation
    async def create_customer(
        self, info: ContextInfo, input: CreateCustomerInput
    ) -> CustomerPayload:
        async def work(session: AsyncSession) -> int:
            errors = (
                text_errors(("external_id",), input.external_id)
                + text_errors(("name",), input.name)
                + text_errors(
                    ("partner_owner",), input.partner_owner or "", max_length=100, required=False
                )
            )
            refuse_if(errors)
            taken = (
                await session.exec(
                    select(CustomerRow.id).where(CustomerRow.external_id == input.external_id)
                )
            ).first()
            if taken is not None:
                raise RefusedError(
                    [
                        user_error(
                            ("external_id",),
                            ErrorCode.DUPLICATE_KEY,
                            f"a customer with external ID {input.external_id!r} exists",
                        )
                    ]
                )
            row = CustomerRow(
                external_id=input.external_id, name=input.name, partner_owner=input.partner_owner
            )
            session.add(row)
            await session.flush()
            assert row.id is not None
            return row.id

        taken = user_error(
            ("external_id",),
            ErrorCode.DUPLICATE_KEY,
            f"a customer with external ID {input.external_id!r} exists",
        )
        result, errors = await idempotent_write(
            info.context, "createCustomer", input, work, conflict=taken
        )
        return await _customer_payload(info.context, result, errors)

    @strawberry.mutation(description="Put a customer on a published plan version, with terms.")
    async def create_contract(
        self, info: ContextInfo, input: CreateContractInput
    ) -> ContractPayload:
        async def work(session: AsyncSession) -> int:
            customer_id = db_id(("customer_id",), input.customer_id, "Customer")
            customer = await session.get(CustomerRow, customer_id, with_for_update=True)
            if customer is None:
                raise not_found(("customer_id",), "customer", input.customer_id)
            plan_row, plan = await published_plan(session, input.plan_id, ("plan_id",))
            return await open_contract(session, customer, plan_row, plan, input, _as_json(input))

        result, errors = await idempotent_write(info.context, "createContract", input, work)
        return await _contract_payload(info.context, result, errors)

    @strawberry.mutation(
        description="Add or end adjustments, grant credits, add commitments or change settings "
        "from a date forward. One call is one revision; history is kept."
    )
    async def amend_contract(self, info: ContextInfo, input: AmendContractInput) -> ContractPayload:
        async def work(session: AsyncSession) -> int:
            cid = db_id(("contract_id",), input.contract_id, "Contract")
            contract = await _bump_revision(session, cid, input.expected_revision)
            revision = contract.revision
            record = await _record(session, cid)
            loaded = await load_plan(session, record.plans[-1].plan_id)
            assert loaded is not None
            plan = loaded[1]
            current = record.terms_on(record.settings[-1].effective_from)
            errors: list[UserError] = []
            added = adjustments_from_input(
                input.add_adjustments, ("add_adjustments",), plan, errors
            )
            grants = grants_from_input(
                input.grant_credits,
                ("grant_credits",),
                plan.pricing_unit,
                contract.start_date,
                errors,
            )
            commitments = commitments_from_input(
                input.add_commitments, ("add_commitments",), errors
            )
            ended = await _ended_adjustments(session, cid, input, errors)
            adjustments = tuple(
                replace(a, effective_until=ended.get(row.id, a.effective_until))
                for row, a in zip(record.adjustments, current.adjustments, strict=True)
            )
            settings = _changed_settings(contract, record, input, errors)
            terms = replace(
                current,
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
                    },
                )
            )
            for row in record.adjustments:
                if row.id in ended:
                    row.effective_until = ended[row.id]
                    session.add(row)
            session.add_all(adjustment_row(cid, a, revision) for a in added)
            session.add_all(grant_row(cid, g, revision) for g in grants)
            session.add_all(commitment_row(cid, c, revision) for c in commitments)
            if settings is not None:
                session.add(settings_row(cid, settings.effective_from, settings.overrides))
            effective = settings.effective_from if settings else None
            session.add(amendment(cid, revision, "AMEND", effective, _as_json(input)))
            await session.flush()
            return cid

        result, errors = await idempotent_write(info.context, "amendContract", input, work)
        return await _contract_payload(info.context, result, errors)

    @strawberry.mutation(description="Set the contract's end date (exclusive).")
    async def end_contract(self, info: ContextInfo, input: EndContractInput) -> ContractPayload:
        async def work(session: AsyncSession) -> int:
            cid = db_id(("contract_id",), input.contract_id, "Contract")
            contract = await _bump_revision(session, cid, input.expected_revision)
            if input.end_date <= contract.start_date:
                raise RefusedError(
                    [
                        user_error(
                            ("end_date",),
                            ErrorCode.INVALID_DATES,
                            f"the end must be after the start {contract.start_date}",
                        )
                    ]
                )
            await session.get(CustomerRow, contract.customer_id, with_for_update=True)
            clash = await _overlapping(
                session,
                contract.customer_id,
                contract.product_id,
                contract.start_date,
                input.end_date,
                besides=cid,
            )
            if clash is not None:
                raise RefusedError(
                    [
                        user_error(
                            ("end_date",),
                            ErrorCode.OVERLAPPING_CONTRACT,
                            f"the customer's next contract for this product starts "
                            f"{clash.start_date}; end this one by then",
                        )
                    ]
                )
            record = await _record(session, cid)
            loaded = await load_plan(session, record.plans[-1].plan_id)
            assert loaded is not None
            terms = replace(record.terms_on(record.settings[-1].effective_from), end=input.end_date)
            refuse_if(_on_field(terms_errors(loaded[1], terms), ("end_date",)))
            contract.end_date = input.end_date
            session.add(contract)
            session.add(amendment(cid, contract.revision, "END", input.end_date, _as_json(input)))
            await session.flush()
            return cid

        result, errors = await idempotent_write(info.context, "endContract", input, work)
        return await _contract_payload(info.context, result, errors)

    @strawberry.mutation(
        description="Move to another published version of the same plan from a period start; "
        "earlier periods keep the version they were signed on."
    )
    async def move_contract_to_plan_version(
        self, info: ContextInfo, input: MoveContractToPlanVersionInput
    ) -> ContractPayload:
        async def work(session: AsyncSession) -> int:
            cid = db_id(("contract_id",), input.contract_id, "Contract")
            contract = await _bump_revision(session, cid, input.expected_revision)
            record = await _record(session, cid)
            current = await session.get(PlanRow, record.plans[-1].plan_id)
            target_row, target = await published_plan(session, input.plan_id, ("plan_id",))
            assert current is not None and target_row.id is not None
            errors: list[UserError] = []
            if target_row.key != current.key or target_row.id == current.id:
                errors.append(
                    user_error(
                        ("plan_id",),
                        ErrorCode.INVALID_VALUE,
                        f"move to another version of {current.key} (now v{current.version})",
                    )
                )
            if target_row.pricing_unit_code != current.pricing_unit_code:
                errors.append(
                    user_error(
                        ("plan_id",),
                        ErrorCode.CURRENCY_MISMATCH,
                        f"v{target_row.version} is priced in {target_row.pricing_unit_code}, "
                        f"the contract in {current.pricing_unit_code}",
                    )
                )
            if input.effective_from <= record.plans[-1].effective_from:
                errors.append(
                    user_error(
                        ("effective_from",),
                        ErrorCode.INVALID_DATES,
                        f"must be after the current version's start "
                        f"{record.plans[-1].effective_from}",
                    )
                )
            else:
                boundary = _period_boundary_error(
                    contract, input.effective_from, ("effective_from",)
                )
                errors += [boundary] if boundary else []
            refuse_if(errors)
            refuse_if(
                _on_field(terms_errors(target, record.terms_on(input.effective_from)), ("plan_id",))
            )
            session.add(
                ContractPlanRow(
                    contract_id=cid, plan_id=target_row.id, effective_from=input.effective_from
                )
            )
            session.add(
                amendment(
                    cid,
                    contract.revision,
                    "MOVE_PLAN_VERSION",
                    input.effective_from,
                    _as_json(input),
                )
            )
            await session.flush()
            return cid

        result, errors = await idempotent_write(
            info.context, "moveContractToPlanVersion", input, work
        )
        return await _contract_payload(info.context, result, errors)


async def _ended_adjustments(
    session: AsyncSession, contract_id: int, given: AmendContractInput, errors: list[UserError]
) -> dict[int | None, date]:
    ended: dict[int | None, date] = {}
    for index, item in enumerate(given.end_adjustments):
        path: Path = ("end_adjustments", index, "adjustment_id")
        adjustment_id = db_id(path, item.adjustment_id, "ContractAdjustment")
        row = await session.get(ContractAdjustmentRow, adjustment_id)
        if row is None or row.contract_id != contract_id:
            errors.append(
                user_error(path, ErrorCode.NOT_FOUND, "no such adjustment on this contract")
            )
            continue
        if row.effective_from is not None and item.effective_until <= row.effective_from:
            errors.append(
                user_error(
                    ("end_adjustments", index, "effective_until"),
                    ErrorCode.INVALID_TERMS,
                    f"the adjustment starts {row.effective_from}; end it after that",
                )
            )
        ended[row.id] = item.effective_until
    return ended


@dataclasses.dataclass(frozen=True)
class _SettingsChange:
    effective_from: date
    overrides: SettingOverrides


def _changed_settings(
    contract: ContractRow,
    record: ContractRecord,
    given: AmendContractInput,
    errors: list[UserError],
) -> _SettingsChange | None:
    change = given.change_settings
    if change is None:
        return None
    path: Path = ("change_settings", "effective_from")
    day = change.effective_from
    if day < contract.start_date or (contract.end_date is not None and day >= contract.end_date):
        errors.append(user_error(path, ErrorCode.INVALID_DATES, "must fall within the contract"))
    if any(s.effective_from == day for s in record.settings):
        errors.append(
            user_error(
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
