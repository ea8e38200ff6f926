"""Contract terms: what one customer's contract changes about a plan.

An empty `ContractTerms(start=...)` rates at list price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .discounts import Discount
from .models import (
    BillingAnchor,
    BillingInterval,
    Rate,
    Tier,
    Trial,
)


class AdjustmentKind(StrEnum):
    PERCENT = "PERCENT"
    FIXED = "FIXED"
    OVERRIDE = "OVERRIDE"
    QUANTITY = "QUANTITY"


class CommitmentKind(StrEnum):
    PREPAID = "PREPAID"
    POSTPAID = "POSTPAID"


@dataclass(frozen=True, slots=True)
class PriceAdjustment:
    """A per-customer change to the price with key `price_key`.

    PERCENT: `value` percent (-15 = 15% off) on every rate of the price.
    FIXED: `value` added to each unit price (never below 0).
    OVERRIDE: `value` replaces the unit price (FLAT rate, package price, fixed amount,
    composite value); or `tiers` replaces the whole tier table; or `rate` the whole rate.
    QUANTITY: `value` becomes the quantity of a fixed charge or a composite.

    `match` limits a usage-price adjustment to one dimension rate (`{model: gpt-4}`); a
    match that no rate-card entry has adds one, derived from the price's default rate.
    `effective_from`/`effective_until` (exclusive) date it: it applies to the periods that
    start inside that window.
    """

    price_key: str
    kind: AdjustmentKind
    value: Decimal | None = None
    tiers: tuple[Tier, ...] | None = None
    rate: Rate | None = None
    match: tuple[tuple[str, str], ...] | None = None
    effective_from: date | None = None
    effective_until: date | None = None

    def applies_on(self, day: date) -> bool:
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.effective_until is None or day < self.effective_until


@dataclass(frozen=True, slots=True)
class SettingOverrides:
    """Per-contract overrides of plan settings; `None` keeps the plan's value.

    `trial=Trial(days=0)` removes the plan's trial. `invoice_minimum` replaces the invoice
    minimum of every ramp.
    """

    billing_interval: BillingInterval | None = None
    billing_anchor: BillingAnchor | None = None
    net_payment_days: int | None = None
    auto_pay: bool | None = None
    trial: Trial | None = None
    invoice_minimum: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CreditGrant:
    """`amount` of `pricing_unit` usable by invoices whose period overlaps
    `[effective, expires)`. Empty `product_keys` = every product. Lower `priority` burns
    first, then the soonest expiry."""

    key: str
    amount: Decimal
    pricing_unit: str
    effective: date
    expires: date | None = None
    product_keys: tuple[str, ...] = ()
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Commitment:
    """PREPAID: `amount` is invoiced (in the invoice currency) on the first invoice of the
    commitment and `credit_amount` (in the plan's pricing unit; default `amount`) is
    granted, expiring at `end`.
    POSTPAID: at the end of `[start, end)`, a true-up of `amount - eligible spend` is added
    when spend fell short.
    `start` defaults to the contract start and `end` to the contract end."""

    key: str
    kind: CommitmentKind
    amount: Decimal
    credit_amount: Decimal | None = None
    start: date | None = None
    end: date | None = None
    product_keys: tuple[str, ...] = ()
    priority: int = 0


@dataclass(frozen=True, slots=True)
class ContractTerms:
    start: date
    end: date | None = None
    adjustments: tuple[PriceAdjustment, ...] = ()
    overrides: SettingOverrides = field(default_factory=SettingOverrides)
    credit_grants: tuple[CreditGrant, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    discounts: tuple[Discount, ...] = ()

    def list_price(self) -> ContractTerms:
        """The same calendar (start, end, interval, anchor, payment terms) without any
        price adjustment, credit, commitment or trial/minimum override."""
        o = self.overrides
        return ContractTerms(
            start=self.start,
            end=self.end,
            overrides=SettingOverrides(
                billing_interval=o.billing_interval,
                billing_anchor=o.billing_anchor,
                net_payment_days=o.net_payment_days,
                auto_pay=o.auto_pay,
            ),
        )

    @property
    def is_list_price(self) -> bool:
        o = self.overrides
        return (
            not self.adjustments
            and not self.credit_grants
            and not self.commitments
            and not self.discounts
            and o.trial is None
            and o.invoice_minimum is None
        )
