"""Contracts repository: a contract's rows <-> the rating core's `ContractTerms`.

Callers own the transaction. Plan versions and setting overrides are dated rows: what
applies to a billing period is the row in force on the period's first day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating import models
from pricing_graph.rating.terms import (
    AdjustmentKind,
    Commitment,
    CommitmentKind,
    ContractTerms,
    CreditGrant,
    PriceAdjustment,
    SettingOverrides,
)
from pricing_graph.store.catalog_repo import Reader, session_reader
from pricing_graph.store.contracts import (
    AmendmentRow,
    CommitmentRow,
    ContractAdjustmentRow,
    ContractPlanRow,
    ContractRow,
    ContractSettingsRow,
    CreditGrantRow,
)
from pricing_graph.store.discounts import (
    ContractDiscountRow,
    contract_discount_to_domain,
    contract_discounts,
)

__all__ = [
    "ContractRecord",
    "Reader",
    "amend_terms",
    "insert_contract",
    "load_record",
    "load_records",
    "move_to_plan",
    "session_reader",
    "set_end_date",
    "to_terms",
]


@dataclass(frozen=True, slots=True)
class ContractRecord:
    """Everything stored about one contract, in effective-date order."""

    contract: ContractRow
    plans: tuple[ContractPlanRow, ...]
    settings: tuple[ContractSettingsRow, ...]
    adjustments: tuple[ContractAdjustmentRow, ...]
    grants: tuple[CreditGrantRow, ...]
    commitments: tuple[CommitmentRow, ...]
    discounts: tuple[ContractDiscountRow, ...] = ()

    def plan_id_on(self, day: date) -> int:
        plan: ContractPlanRow = in_force(self.plans, day)
        return plan.plan_id

    def terms_on(self, day: date) -> ContractTerms:
        """The terms the rating core applies to a period starting on `day`."""
        return to_terms(self.contract, self.settings_on(day), self)

    def settings_on(self, day: date) -> ContractSettingsRow:
        settings: ContractSettingsRow = in_force(self.settings, day)
        return settings


def in_force(rows: Sequence[Any], day: date) -> Any:
    """The last of these dated rows (ordered by `effective_from`) in force on `day`."""
    current = rows[0]
    for row in rows:
        if row.effective_from <= day:
            current = row
    return current


def tiers_to_json(tiers: Sequence[models.Tier] | None) -> list[dict[str, str | None]] | None:
    if tiers is None:
        return None
    return [
        {
            "up_to": None if t.up_to is None else str(t.up_to),
            "unit_price": str(t.unit_price),
            "flat_fee": str(t.flat_fee),
        }
        for t in tiers
    ]


def tiers_from_json(raw: list[dict[str, str | None]] | None) -> tuple[models.Tier, ...] | None:
    if raw is None:
        return None
    return tuple(
        models.Tier(
            up_to=None if t["up_to"] is None else Decimal(t["up_to"]),
            unit_price=Decimal(t["unit_price"] or "0"),
            flat_fee=Decimal(t["flat_fee"] or "0"),
        )
        for t in raw
    )


def adjustment_to_domain(row: ContractAdjustmentRow) -> PriceAdjustment:
    return PriceAdjustment(
        price_key=row.price_key,
        kind=AdjustmentKind(row.kind),
        value=row.value,
        tiers=tiers_from_json(row.tiers),
        match=tuple((k, v) for k, v in row.match) if row.match else None,
        effective_from=row.effective_from,
        effective_until=row.effective_until,
    )


def grant_to_domain(row: CreditGrantRow) -> CreditGrant:
    return CreditGrant(
        key=row.key,
        amount=row.amount,
        pricing_unit=row.pricing_unit,
        effective=row.effective,
        expires=row.expires,
        product_keys=tuple(row.product_keys),
        priority=row.priority,
    )


def commitment_to_domain(row: CommitmentRow) -> Commitment:
    return Commitment(
        key=row.key,
        kind=CommitmentKind(row.kind),
        amount=row.amount,
        credit_amount=row.credit_amount,
        start=row.start,
        end=row.end,
        product_keys=tuple(row.product_keys),
        priority=row.priority,
    )


def to_terms(
    contract: ContractRow, settings: ContractSettingsRow, record: ContractRecord
) -> ContractTerms:
    trial = None
    if settings.trial_days is not None:
        trial = models.Trial(settings.trial_days, settings.trial_spending_cap)
    return ContractTerms(
        start=contract.start_date,
        end=contract.end_date,
        adjustments=tuple(adjustment_to_domain(a) for a in record.adjustments),
        overrides=SettingOverrides(
            billing_interval=models.BillingInterval(contract.billing_interval),
            billing_anchor=models.BillingAnchor(contract.billing_anchor),
            net_payment_days=settings.net_payment_days,
            auto_pay=settings.auto_pay,
            trial=trial,
            invoice_minimum=settings.invoice_minimum,
        ),
        credit_grants=tuple(grant_to_domain(g) for g in record.grants),
        commitments=tuple(commitment_to_domain(c) for c in record.commitments),
        discounts=tuple(contract_discount_to_domain(d) for d in record.discounts),
    )


def adjustment_row(
    contract_id: int, adjustment: PriceAdjustment, revision: int
) -> ContractAdjustmentRow:
    return ContractAdjustmentRow(
        contract_id=contract_id,
        price_key=adjustment.price_key,
        kind=adjustment.kind.value,
        value=adjustment.value,
        tiers=tiers_to_json(adjustment.tiers),
        match=[[k, v] for k, v in adjustment.match] if adjustment.match else None,
        effective_from=adjustment.effective_from,
        effective_until=adjustment.effective_until,
        created_revision=revision,
    )


def grant_row(contract_id: int, grant: CreditGrant, revision: int) -> CreditGrantRow:
    return CreditGrantRow(
        contract_id=contract_id,
        key=grant.key,
        amount=grant.amount,
        pricing_unit=grant.pricing_unit,
        effective=grant.effective,
        expires=grant.expires,
        product_keys=list(grant.product_keys),
        priority=grant.priority,
        created_revision=revision,
    )


def commitment_row(contract_id: int, commitment: Commitment, revision: int) -> CommitmentRow:
    return CommitmentRow(
        contract_id=contract_id,
        key=commitment.key,
        kind=commitment.kind.value,
        amount=commitment.amount,
        credit_amount=commitment.credit_amount,
        start=commitment.start,
        end=commitment.end,
        product_keys=list(commitment.product_keys),
        priority=commitment.priority,
        created_revision=revision,
    )


def settings_row(
    contract_id: int, effective_from: date, o: SettingOverrides
) -> ContractSettingsRow:
    return ContractSettingsRow(
        contract_id=contract_id,
        effective_from=effective_from,
        net_payment_days=o.net_payment_days,
        auto_pay=o.auto_pay,
        trial_days=o.trial.days if o.trial else None,
        trial_spending_cap=o.trial.spending_cap if o.trial else None,
        invoice_minimum=o.invoice_minimum,
    )


def amendment(
    contract_id: int, revision: int, kind: str, effective: date | None, payload: dict[str, Any]
) -> AmendmentRow:
    return AmendmentRow(
        contract_id=contract_id,
        revision=revision,
        kind=kind,
        effective_date=effective,
        payload=payload,
    )


async def load_records(read: Reader, contract_ids: Sequence[int]) -> list[ContractRecord]:
    """Contracts with all their terms, seven statements whatever their number."""
    if not contract_ids:
        return []
    ids = list(contract_ids)
    contracts = {
        c.id: c for c in await read(select(ContractRow).where(col(ContractRow.id).in_(ids)))
    }

    async def children(model: Any, order: Any) -> dict[int, list[Any]]:
        grouped: dict[int, list[Any]] = {i: [] for i in ids}
        rows = await read(
            select(model).where(col(model.contract_id).in_(ids)).order_by(order, col(model.id))
        )
        for row in rows:
            grouped[row.contract_id].append(row)
        return grouped

    plans = await children(ContractPlanRow, col(ContractPlanRow.effective_from))
    settings = await children(ContractSettingsRow, col(ContractSettingsRow.effective_from))
    adjustments = await children(ContractAdjustmentRow, col(ContractAdjustmentRow.id))
    grants = await children(CreditGrantRow, col(CreditGrantRow.id))
    commitments = await children(CommitmentRow, col(CommitmentRow.id))
    discounts = await contract_discounts(read, ids)
    return [
        ContractRecord(
            contract=contracts[i],
            plans=tuple(plans[i]),
            settings=tuple(settings[i]),
            adjustments=tuple(adjustments[i]),
            grants=tuple(grants[i]),
            commitments=tuple(commitments[i]),
            discounts=tuple(discounts[i]),
        )
        for i in ids
        if i in contracts
    ]


async def load_record(session: AsyncSession, contract_id: int) -> ContractRecord:
    """One contract that exists, with all its terms, read in the caller's transaction."""
    [record] = await load_records(session_reader(session), [contract_id])
    return record


async def insert_contract(
    session: AsyncSession,
    *,
    customer_id: int,
    product_id: int,
    plan_id: int,
    terms: ContractTerms,
    request: dict[str, Any],
) -> int:
    """Write a new contract on `plan_id` from `terms.start`: its terms (revision 1) and its
    CREATE amendment carrying `request`. Returns its id."""
    overrides = terms.overrides
    assert overrides.billing_interval is not None and overrides.billing_anchor is not None
    contract = ContractRow(
        customer_id=customer_id,
        product_id=product_id,
        start_date=terms.start,
        end_date=terms.end,
        billing_interval=overrides.billing_interval.value,
        billing_anchor=overrides.billing_anchor.value,
    )
    session.add(contract)
    await session.flush()
    assert contract.id is not None
    cid = contract.id
    session.add(ContractPlanRow(contract_id=cid, plan_id=plan_id, effective_from=terms.start))
    session.add(settings_row(cid, terms.start, overrides))
    session.add_all(adjustment_row(cid, a, 1) for a in terms.adjustments)
    session.add_all(grant_row(cid, g, 1) for g in terms.credit_grants)
    session.add_all(commitment_row(cid, c, 1) for c in terms.commitments)
    session.add(amendment(cid, 1, "CREATE", terms.start, request))
    await session.flush()
    return cid


async def amend_terms(
    session: AsyncSession,
    record: ContractRecord,
    revision: int,
    *,
    ended: Mapping[int | None, date],
    added: Sequence[PriceAdjustment],
    grants: Sequence[CreditGrant],
    commitments: Sequence[Commitment],
    settings_from: date | None,
    overrides: SettingOverrides | None,
    request: dict[str, Any],
) -> None:
    """Write one AMEND revision: end adjustments (by row id), add terms, and settings in
    force from `settings_from` (when given)."""
    cid = record.contract.id
    assert cid is not None
    for row in record.adjustments:
        if row.id in ended:
            row.effective_until = ended[row.id]
            session.add(row)
    session.add_all(adjustment_row(cid, a, revision) for a in added)
    session.add_all(grant_row(cid, g, revision) for g in grants)
    session.add_all(commitment_row(cid, c, revision) for c in commitments)
    if settings_from is not None and overrides is not None:
        session.add(settings_row(cid, settings_from, overrides))
    session.add(amendment(cid, revision, "AMEND", settings_from, request))
    await session.flush()


async def set_end_date(
    session: AsyncSession, contract: ContractRow, end_date: date, request: dict[str, Any]
) -> None:
    """End the contract on `end_date` (exclusive), as an END revision."""
    assert contract.id is not None
    contract.end_date = end_date
    session.add(contract)
    session.add(amendment(contract.id, contract.revision, "END", end_date, request))
    await session.flush()


async def move_to_plan(
    session: AsyncSession,
    contract: ContractRow,
    plan_id: int,
    effective_from: date,
    request: dict[str, Any],
    kind: str = "MOVE_PLAN_VERSION",
) -> None:
    """Pin `plan_id` from `effective_from` on, as a `kind` revision (MOVE_PLAN_VERSION,
    CHANGE_PLAN)."""
    assert contract.id is not None
    session.add(
        ContractPlanRow(contract_id=contract.id, plan_id=plan_id, effective_from=effective_from)
    )
    session.add(amendment(contract.id, contract.revision, kind, effective_from, request))
    await session.flush()
