"""Contract terms as callers give them -> the rating core's `ContractTerms`, and its verdict
-> `Problem`s on the input's fields.

The rules about terms (adjustment shapes, grant units, commitment dates, a dry run of every
adjustment against every ramp) live once, in `rating.validate.check_terms`; this module
only converts inputs, adds the checks that need names from the request (unknown price key,
non-positive commitment) and maps the rating core's field paths onto input paths. Used by
createContract/amendContract and by quotes, so a quote is checked as its contract would be.

The input dataclasses carry the same field names, in the same order, as the GraphQL inputs
(`api.convert.to_domain` maps them), so the request stored in the amendment log is the same
whichever edge sent it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from pricing_graph.rating import models
from pricing_graph.rating.calendar import BillingCalendar
from pricing_graph.rating.errors import CurrencyMismatch, RatingError
from pricing_graph.rating.plan_checks import Path
from pricing_graph.rating.terms import (
    AdjustmentKind,
    Commitment,
    CommitmentKind,
    ContractTerms,
    CreditGrant,
    PriceAdjustment,
    SettingOverrides,
)
from pricing_graph.rating.validate import check_terms
from pricing_graph.services.catalog.inputs import DimensionValueSpec, TierSpec, TrialSpec
from pricing_graph.services.discounts import DiscountSpec
from pricing_graph.services.errors import ErrorCode, Problem, camel, problem
from pricing_graph.services.validation import text_errors

KEY_LENGTH = 100  # the grant and commitment key columns
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PriceAdjustmentSpec:
    """A per-customer change to one price of the plan, by price key."""

    price_key: str
    kind: AdjustmentKind
    value: Decimal | None = None
    tiers: tuple[TierSpec, ...] | None = None
    match: tuple[DimensionValueSpec, ...] | None = None
    effective_from: date | None = None
    effective_until: date | None = None


@dataclass(frozen=True, slots=True)
class CreditGrantSpec:
    key: str
    amount: Decimal
    pricing_unit: str | None = None
    effective: date | None = None
    expires: date | None = None
    product_keys: tuple[str, ...] = ()
    priority: int = 0


@dataclass(frozen=True, slots=True)
class CommitmentSpec:
    key: str
    kind: CommitmentKind
    amount: Decimal
    credit_amount: Decimal | None = None
    start: date | None = None
    end: date | None = None
    product_keys: tuple[str, ...] = ()
    priority: int = 0


@dataclass(frozen=True, slots=True)
class ContractSettingsSpec:
    """Overrides of plan settings; None keeps the plan's value."""

    net_payment_days: int | None = None
    auto_pay: bool | None = None
    trial: TrialSpec | None = None
    invoice_minimum: Decimal | None = None


class TermsFields(Protocol):
    """The contract terms an input carries: createContract's, and a quote's."""

    @property
    def start_date(self) -> date: ...
    @property
    def end_date(self) -> date | None: ...
    @property
    def billing_interval(self) -> models.BillingInterval | None: ...
    @property
    def billing_anchor(self) -> models.BillingAnchor | None: ...
    @property
    def settings(self) -> ContractSettingsSpec | None: ...
    @property
    def adjustments(self) -> Sequence[PriceAdjustmentSpec]: ...
    @property
    def credit_grants(self) -> Sequence[CreditGrantSpec]: ...
    @property
    def commitments(self) -> Sequence[CommitmentSpec]: ...
    # Discounts (services.discounts): the input's own, a promotion code, the plan's defaults.
    @property
    def discounts(self) -> Sequence[DiscountSpec]: ...
    @property
    def promotion_code(self) -> str | None: ...
    @property
    def apply_plan_discounts(self) -> bool: ...


def _allows_negative_override(price: models.Price) -> bool:
    """Only a discount's amount, a percentage composite and a DYNAMIC markup go below 0."""
    if isinstance(price, models.FixedPrice):
        return price.is_discount
    if isinstance(price, models.CompositePrice):
        return price.composite is models.CompositeKind.PERCENTAGE
    rates = [price.rate, *(d.rate for d in price.dimension_rates)]
    return any(r is not None and r.model is models.PricingModel.DYNAMIC for r in rates)


def _negative_errors(item: PriceAdjustmentSpec, path: Path, price: models.Price) -> list[Problem]:
    """A contract may not price below zero what the plan could not (`NEGATIVE_VALUE`)."""
    if item.kind is not AdjustmentKind.OVERRIDE:
        return []
    found: list[tuple[Path, object]] = [((*path, "value"), item.value)]
    for t, tier in enumerate(item.tiers or ()):
        found += [
            ((*path, "tiers", t, "unit_price"), tier.unit_price),
            ((*path, "tiers", t, "flat_fee"), tier.flat_fee),
        ]
    if _allows_negative_override(price):
        found = found[1:]
    return [
        problem(where, ErrorCode.NEGATIVE_VALUE, f"must be >= 0, got {value}")
        for where, value in found
        if isinstance(value, Decimal) and value < 0
    ]


def adjustments_from_input(
    given: Sequence[PriceAdjustmentSpec], path: Path, plan: models.Plan, errors: list[Problem]
) -> tuple[PriceAdjustment, ...]:
    prices = {p.key: p for ramp in plan.ramps for p in ramp.prices}
    price_keys = set(prices)
    adjustments = []
    for index, item in enumerate(given):
        if item.price_key in prices:
            errors += _negative_errors(item, (*path, index), prices[item.price_key])
        else:
            errors.append(
                problem(
                    (*path, index, "price_key"),
                    ErrorCode.UNKNOWN_PRICE,
                    f"the plan has no price with key {item.price_key!r} "
                    f"(it has: {', '.join(sorted(price_keys))})",
                )
            )
        adjustments.append(
            PriceAdjustment(
                price_key=item.price_key,
                kind=item.kind,
                value=item.value,
                tiers=tuple(models.Tier(t.up_to, t.unit_price, t.flat_fee) for t in item.tiers)
                if item.tiers is not None
                else None,
                match=tuple(sorted((m.name, m.value) for m in item.match)) if item.match else None,
                effective_from=item.effective_from,
                effective_until=item.effective_until,
            )
        )
    return tuple(adjustments)


def grants_from_input(
    given: Sequence[CreditGrantSpec],
    path: Path,
    unit: models.PricingUnit,
    default_effective: date,
    errors: list[Problem],
) -> tuple[CreditGrant, ...]:
    grants = []
    for index, item in enumerate(given):
        errors += text_errors((*path, index, "key"), item.key, max_length=KEY_LENGTH)
        pricing_unit = item.pricing_unit or unit.code
        if pricing_unit != unit.code:
            errors.append(
                problem(
                    (*path, index, "pricing_unit"),
                    ErrorCode.CURRENCY_MISMATCH,
                    f"the grant is in {pricing_unit} but the plan is priced in {unit.code}",
                )
            )
        if item.amount <= 0:
            errors.append(
                problem((*path, index, "amount"), ErrorCode.NOT_POSITIVE, "must be above 0")
            )
        grants.append(
            CreditGrant(
                key=item.key,
                amount=item.amount,
                pricing_unit=pricing_unit,
                effective=item.effective or default_effective,
                expires=item.expires,
                product_keys=tuple(item.product_keys),
                priority=item.priority,
            )
        )
    return tuple(grants)


def commitments_from_input(
    given: Sequence[CommitmentSpec], path: Path, errors: list[Problem]
) -> tuple[Commitment, ...]:
    commitments = []
    for index, item in enumerate(given):
        errors += text_errors((*path, index, "key"), item.key, max_length=KEY_LENGTH)
        if item.amount <= 0:
            errors.append(
                problem(
                    (*path, index, "amount"),
                    ErrorCode.NOT_POSITIVE,
                    f"a commitment must be above 0, got {item.amount}",
                )
            )
        commitments.append(
            Commitment(
                key=item.key,
                kind=CommitmentKind(item.kind),
                amount=item.amount,
                credit_amount=item.credit_amount,
                start=item.start,
                end=item.end,
                product_keys=tuple(item.product_keys),
                priority=item.priority,
            )
        )
    return tuple(commitments)


def overrides_from_input(
    given: ContractSettingsSpec | None,
    interval: models.BillingInterval,
    anchor: models.BillingAnchor,
) -> SettingOverrides:
    return SettingOverrides(
        billing_interval=interval,
        billing_anchor=anchor,
        net_payment_days=given.net_payment_days if given else None,
        auto_pay=given.auto_pay if given else None,
        trial=models.Trial(given.trial.days, given.trial.spending_cap)
        if given and given.trial
        else None,
        invoice_minimum=given.invoice_minimum if given else None,
    )


_SEGMENT = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def rating_path(field: str, renames: dict[str, tuple[str, int]] | None = None) -> str:
    """`adjustments[2].value` -> `input.adjustments.2.value`, with `renames` mapping a
    collection onto the input list it came from (`adjustments` -> (`addAdjustments`, -3)),
    or a field onto the input field it came from (`overrides` -> (`settings`, 0))."""
    parts = ["input"]
    for segment in field.split("."):
        found = _SEGMENT.fullmatch(segment.split(" ")[0])
        if found is None:
            parts.append(segment)
            continue
        name, index = found.group(1), found.group(2)
        if renames and name in renames:
            target, shift = renames[name]
            parts += [target] if index is None else [target, str(int(index) + shift)]
        else:
            parts.append(camel(name))
            if index is not None:
                parts.append(index)
    return ".".join(parts)


def terms_errors(
    plan: models.Plan,
    terms: ContractTerms,
    renames: dict[str, tuple[str, int]] | None = None,
) -> list[Problem]:
    """What the rating core refuses about these terms, as problems on the input's fields."""
    try:
        check_terms(plan, terms)
    except RatingError as refused:
        if isinstance(refused, CurrencyMismatch):
            code = ErrorCode.CURRENCY_MISMATCH
        elif refused.field.endswith(".key"):  # a grant or commitment key used twice
            code = ErrorCode.DUPLICATE_KEY
        else:
            code = ErrorCode.INVALID_TERMS
        field = _adjusted_price_field(plan, terms, refused.field)
        return [Problem(field=rating_path(field, renames), code=code, message=refused.message)]
    return []


_ADJUSTED = re.compile(r"ramps\[(\d+)\] \(adjusted\)\.prices\[(\d+)\]")


def _adjusted_price_field(plan: models.Plan, terms: ContractTerms, field: str) -> str:
    """The dry run names a price of the adjusted plan (`ramps[0] (adjusted).prices[3].amount`),
    not an input field: name the last adjustment of that price instead."""
    found = _ADJUSTED.match(field)
    if found is None:
        return field
    key = plan.ramps[int(found.group(1))].prices[int(found.group(2))].key
    last = max(i for i, a in enumerate(terms.adjustments) if a.price_key == key)
    return f"adjustments[{last}]"


def date_errors(given: TermsFields) -> list[Problem]:
    if given.end_date is not None and given.end_date <= given.start_date:
        return [
            problem(
                ("end_date",),
                ErrorCode.INVALID_DATES,
                f"the end {given.end_date} must be after the start {given.start_date}",
            )
        ]
    return []


def build_terms(plan: models.Plan, given: TermsFields, errors: list[Problem]) -> ContractTerms:
    """The rating core's terms for `given` on `plan`; input problems go to `errors`."""
    interval = given.billing_interval or plan.billing_interval
    anchor = given.billing_anchor or plan.billing_anchor
    return ContractTerms(
        start=given.start_date,
        end=given.end_date,
        adjustments=adjustments_from_input(given.adjustments, ("adjustments",), plan, errors),
        overrides=overrides_from_input(given.settings, interval, anchor),
        credit_grants=grants_from_input(
            given.credit_grants, ("credit_grants",), plan.pricing_unit, given.start_date, errors
        ),
        commitments=commitments_from_input(given.commitments, ("commitments",), errors),
    )


def terms_problems(plan: models.Plan, terms: ContractTerms) -> list[Problem]:
    """What the rating core refuses about valid-looking terms, on the input's fields."""
    problems = terms_errors(plan, terms, renames={"overrides": ("settings", 0)})
    if problems:
        return problems
    overrides = terms.overrides
    assert overrides.billing_interval is not None and overrides.billing_anchor is not None
    try:
        BillingCalendar(
            terms.start, terms.end, overrides.billing_interval, overrides.billing_anchor
        )
    except RatingError as bad:
        return [problem(("billing_anchor",), ErrorCode.INVALID_VALUE, bad.message)]
    return []
