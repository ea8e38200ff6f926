"""Customer and contract object types."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import cast

import strawberry
from strawberry.scalars import JSON

from pricing_graph.api.catalog.enums import BillingAnchor, BillingInterval
from pricing_graph.api.catalog.types import ContextInfo, DimensionValue, Node, Plan, Tier, Trial
from pricing_graph.api.describe import PAGE_ARGS, describe, describe_args
from pricing_graph.api.discounts.types import ContractDiscount
from pricing_graph.api.ids import encode_id
from pricing_graph.api.pagination import Connection, paginate
from pricing_graph.api.rating.issued import IssuedInvoice, issued_invoices
from pricing_graph.api.rating.queries import invoice_preview, upcoming_invoices, usage_status
from pricing_graph.api.rating.types import InvoicePreview, UsageStatus
from pricing_graph.rating import models
from pricing_graph.rating.terms import AdjustmentKind, CommitmentKind
from pricing_graph.store.contracts import (
    AmendmentRow,
    CommitmentRow,
    ContractAdjustmentRow,
    ContractRow,
    ContractSettingsRow,
    CreditGrantRow,
    CustomerRow,
)
from pricing_graph.store.contracts_repo import ContractRecord, tiers_from_json


@strawberry.type
class Customer(Node):
    external_id: str
    name: str
    partner_owner: str | None
    created_at: datetime
    db_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: CustomerRow) -> Customer:
        assert row.id is not None
        return cls(
            id=encode_id("Customer", row.id),
            external_id=row.external_id,
            name=row.name,
            partner_owner=row.partner_owner,
            created_at=row.created_at,
            db_id=row.id,
        )

    @strawberry.field
    async def contracts(
        self, info: ContextInfo, first: int | None = None, after: str | None = None
    ) -> Connection[Contract]:
        rows = await info.context.loaders.contracts_by_customer_id.load(self.db_id)
        return paginate(rows, first, after, Contract.from_row)


@strawberry.type(description="A per-customer change to one price, shown as the adjusted price.")
class ContractAdjustment(Node):
    price_key: str
    kind: AdjustmentKind
    value: Decimal | None
    tiers: list[Tier] | None
    match: list[DimensionValue] | None
    effective_from: date | None
    effective_until: date | None

    @classmethod
    def from_row(cls, row: ContractAdjustmentRow) -> ContractAdjustment:
        assert row.id is not None
        tiers = tiers_from_json(row.tiers)
        return cls(
            id=encode_id("ContractAdjustment", row.id),
            price_key=row.price_key,
            kind=AdjustmentKind(row.kind),
            value=row.value,
            tiers=[Tier(up_to=t.up_to, unit_price=t.unit_price, flat_fee=t.flat_fee) for t in tiers]
            if tiers is not None
            else None,
            match=[DimensionValue(name=k, value=v) for k, v in row.match] if row.match else None,
            effective_from=row.effective_from,
            effective_until=row.effective_until,
        )


@strawberry.type
class CreditGrant:
    key: str
    amount: Decimal
    pricing_unit: str
    effective: date
    expires: date | None
    product_keys: list[str]
    priority: int

    @classmethod
    def from_row(cls, row: CreditGrantRow) -> CreditGrant:
        return cls(
            key=row.key,
            amount=row.amount,
            pricing_unit=row.pricing_unit,
            effective=row.effective,
            expires=row.expires,
            product_keys=list(row.product_keys),
            priority=row.priority,
        )


@strawberry.type
class Commitment:
    key: str
    kind: CommitmentKind
    amount: Decimal
    credit_amount: Decimal | None
    start: date | None
    end: date | None
    product_keys: list[str]
    priority: int

    @classmethod
    def from_row(cls, row: CommitmentRow) -> Commitment:
        return cls(
            key=row.key,
            kind=CommitmentKind(row.kind),
            amount=row.amount,
            credit_amount=row.credit_amount,
            start=row.start,
            end=row.end,
            product_keys=list(row.product_keys),
            priority=row.priority,
        )


@strawberry.type(description="Plan-setting overrides in force from a date; null = the plan's.")
class ContractSettings:
    effective_from: date
    net_payment_days: int | None
    auto_pay: bool | None
    trial: Trial | None
    invoice_minimum: Decimal | None

    @classmethod
    def from_row(cls, row: ContractSettingsRow) -> ContractSettings:
        return cls(
            effective_from=row.effective_from,
            net_payment_days=row.net_payment_days,
            auto_pay=row.auto_pay,
            trial=Trial(days=row.trial_days, spending_cap=row.trial_spending_cap)
            if row.trial_days is not None
            else None,
            invoice_minimum=row.invoice_minimum,
        )


@strawberry.type(description="One revision of the contract, as it was requested.")
class ContractAmendment:
    revision: int
    kind: str
    effective_date: date | None
    created_at: datetime
    changes: JSON

    @classmethod
    def from_row(cls, row: AmendmentRow) -> ContractAmendment:
        return cls(
            revision=row.revision,
            kind=row.kind,
            effective_date=row.effective_date,
            created_at=row.created_at,
            changes=cast(JSON, row.payload),
        )


@strawberry.type
class ContractPlanVersion:
    effective_from: date
    plan_id: strawberry.Private[int]

    @strawberry.field
    async def plan(self, info: ContextInfo) -> Plan:
        return Plan.from_row(await info.context.loaders.plan_by_id.load(self.plan_id))


@strawberry.type(description="A customer on a pinned plan version with their own terms.")
class Contract(Node):
    start_date: date
    end_date: date | None = strawberry.field(description="Exclusive; null = open-ended.")
    billing_interval: BillingInterval
    billing_anchor: BillingAnchor
    revision: int = strawberry.field(description="Pass it as expectedRevision to amend.")
    created_at: datetime
    row: strawberry.Private[ContractRow]
    invoice_preview: InvoicePreview = strawberry.field(
        resolver=invoice_preview,
        description="The invoice for a period (default: the current one) from the usage "
        "ingested so far: lines, credits and totals as the rating core computes them.",
    )
    upcoming_invoices: list[InvoicePreview] = strawberry.field(resolver=upcoming_invoices)
    issued_invoices: list[IssuedInvoice] = strawberry.field(
        resolver=issued_invoices,
        description="The invoice documents of some periods' charges, by issue date: an "
        "invoice at a period boundary carries the ending period's in-arrears charges and the "
        "starting period's in-advance charges; the first, on the start date, the first "
        "period's in-advance fees and prepaid commitments.",
    )
    usage_status: list[UsageStatus] = strawberry.field(
        resolver=usage_status,
        description="Per limited metric: used this period, the limit, percent, upgrade.",
    )

    @classmethod
    def from_row(cls, row: ContractRow) -> Contract:
        assert row.id is not None
        return cls(
            id=encode_id("Contract", row.id),
            start_date=row.start_date,
            end_date=row.end_date,
            billing_interval=models.BillingInterval(row.billing_interval),
            billing_anchor=models.BillingAnchor(row.billing_anchor),
            revision=row.revision,
            created_at=row.created_at,
            row=row,
        )

    async def record(self, info: ContextInfo) -> ContractRecord:
        record: ContractRecord | None = await info.context.loaders.contract_record_by_id.load(
            self.row.id
        )
        assert record is not None
        return record

    @strawberry.field
    async def customer(self, info: ContextInfo) -> Customer:
        row = await info.context.loaders.customer_by_id.load(self.row.customer_id)
        return Customer.from_row(row)

    @strawberry.field(description="The plan version in force on `on` (default: today).")
    async def plan(self, info: ContextInfo, on: date | None = None) -> Plan:
        record = await self.record(info)
        day = on or datetime.now(UTC).date()
        return Plan.from_row(await info.context.loaders.plan_by_id.load(record.plan_id_on(day)))

    @strawberry.field
    async def plan_versions(self, info: ContextInfo) -> list[ContractPlanVersion]:
        record = await self.record(info)
        return [
            ContractPlanVersion(effective_from=p.effective_from, plan_id=p.plan_id)
            for p in record.plans
        ]

    @strawberry.field
    async def adjustments(self, info: ContextInfo) -> list[ContractAdjustment]:
        return [ContractAdjustment.from_row(a) for a in (await self.record(info)).adjustments]

    @strawberry.field
    async def credit_grants(self, info: ContextInfo) -> list[CreditGrant]:
        return [CreditGrant.from_row(g) for g in (await self.record(info)).grants]

    @strawberry.field
    async def commitments(self, info: ContextInfo) -> list[Commitment]:
        return [Commitment.from_row(c) for c in (await self.record(info)).commitments]

    @strawberry.field(
        description="Discounts (coupons), in the order invoices apply them: the plan's "
        "defaults, the contract's own, a promotion code's."
    )
    async def discounts(self, info: ContextInfo) -> list[ContractDiscount]:
        return [ContractDiscount.from_row(d) for d in (await self.record(info)).discounts]

    @strawberry.field(description="Setting overrides over time, oldest first.")
    async def settings(self, info: ContextInfo) -> list[ContractSettings]:
        return [ContractSettings.from_row(s) for s in (await self.record(info)).settings]

    @strawberry.field(description="Every revision, oldest first; nothing is overwritten.")
    async def amendments(self, info: ContextInfo) -> list[ContractAmendment]:
        rows = await info.context.loaders.amendments_by_contract_id.load(self.row.id)
        return [ContractAmendment.from_row(r) for r in rows]


describe(
    Customer,
    "A company that buys: it signs contracts and reports usage.",
    external_id='Your ID for the customer, unique, e.g. "acme-corp".',
    name='Name on invoices, e.g. "Acme Corp".',
    partner_owner='The partner that owns the customer, e.g. "acme-reseller"; null: none.',
    created_at="When the customer was created (UTC).",
    contracts="The customer's contracts, oldest first.",
)
describe_args(Customer, {"contracts": PAGE_ARGS})
describe(
    ContractAdjustment,
    price_key="Key of the plan's price it changes.",
    kind="PERCENT, FIXED, OVERRIDE or QUANTITY.",
    value="PERCENT: percent; FIXED: amount per unit; OVERRIDE: unit price; QUANTITY: quantity.",
    tiers="OVERRIDE of a tier table: the customer's tiers.",
    match="Only usage with these dimension values; null = all usage of the price.",
    effective_from="First day it applies; null = the contract's start.",
    effective_until="First day it no longer applies; null = to the end.",
)
describe(
    CreditGrant,
    "Credits a customer can spend on charges; they burn before cash is invoiced.",
    key="Names the grant on invoices.",
    amount="Credits granted.",
    pricing_unit="Unit of the credits: the plan's pricing unit code.",
    effective="First day they can be used.",
    expires="First day they can no longer be used; null = never. Unused ones are breakage.",
    product_keys="Products they pay for; empty = all.",
    priority="Order they burn in: lower first.",
)
describe(
    Commitment,
    "A promise to spend an amount: prepaid up front, or postpaid with a true-up.",
    key='Names the commitment on invoices, e.g. "annual-prepaid".',
    kind="PREPAID or POSTPAID.",
    amount="Committed spend in the plan's pricing unit.",
    credit_amount="PREPAID: credits granted for it; null = the amount.",
    start="First day it covers; null = the contract's start.",
    end="First day it no longer covers; null = the contract's end.",
    product_keys="Products whose charges count toward it; empty = all.",
    priority="Order its credits burn in: lower first.",
)
describe(
    ContractSettings,
    effective_from="First day these overrides apply.",
    net_payment_days="Days from issue to due date; null = the plan's.",
    auto_pay="Whether invoices are charged automatically; null = not set.",
    trial="The contract's trial; null = the plan's.",
    invoice_minimum="Least a period's invoice comes to; null = the ramps'.",
)
describe(
    ContractAmendment,
    revision="1 for the contract's creation, then + 1 per amendment.",
    kind='What happened: "CREATE", "AMEND", "END" or "MOVE_PLAN_VERSION".',
    effective_date="First day the change applies (the start date for CREATE).",
    created_at="When it was recorded (UTC).",
    changes="The request as given (JSON), for the record.",
)
describe(
    ContractPlanVersion,
    "A plan version the contract is on from a date.",
    effective_from="First day on this version.",
    plan="The pinned plan version.",
)
describe(
    Contract,
    start_date="First day covered; billing periods count from it.",
    billing_interval="Length of one billing period.",
    billing_anchor="Where billing periods start.",
    created_at="When the contract was signed in the system (UTC).",
    upcoming_invoices="The current period's invoice and the ones after it (fewer if the "
    "contract ends).",
    customer="The customer who signed.",
    plan_versions="Every plan version the contract has been on, oldest first.",
    adjustments="Per-price adjustments (discounts, overrides, quantities).",
    credit_grants="Credits granted, at signing and by amendment.",
    commitments="Spend commitments.",
)
describe_args(
    Contract,
    {
        "invoice_preview": {
            "period_index": "Billing period, 0 for the first; omit to pick it by `date` "
            "(or the current one).",
            "date": "A day inside the wanted period, when periodIndex is omitted.",
        },
        "upcoming_invoices": {
            "count": "How many periods, from the current one: 1 to 24, 3 by default."
        },
        "issued_invoices": {
            "period_index": "The first period whose charges to include; default: the current one.",
            "count": "How many periods' charges: 1 to 24, 3 by default.",
        },
        "plan": {"on": "The day to look at; default: today (UTC)."},
    },
)
