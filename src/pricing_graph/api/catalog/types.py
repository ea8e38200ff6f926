"""Catalog object types. Each wraps its row; relations resolve through the request's loaders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import strawberry
from strawberry.types import Info

from pricing_graph.api.catalog.display import UnknownLocale, display_price
from pricing_graph.api.catalog.enums import (
    Aggregation,
    BillingAnchor,
    BillingInterval,
    ChargeTiming,
    CompositeKind,
    ConversionRounding,
    FixedCadence,
    LimitEnforcement,
    PackageRounding,
    PlanStatus,
    PlanVisibility,
    PricingModel,
    RateLimitWindow,
    RoundingMode,
)
from pricing_graph.api.describe import describe, describe_args
from pricing_graph.api.errors import ErrorCode, PublicError
from pricing_graph.api.ids import encode_id
from pricing_graph.api.loaders.base import awaited, resolved
from pricing_graph.api.pagination import Connection, paginate
from pricing_graph.rating import models
from pricing_graph.services import catalog
from pricing_graph.store.catalog import (
    MetricRow,
    PlanRow,
    PriceRow,
    ProductRow,
    RampRow,
    RateRow,
    TierRow,
    UsageLimitRow,
)
from pricing_graph.store.mappers import price_to_domain, pricing_unit_of

ContextInfo = Info  # the context is pricing_graph.api.context.Context


@strawberry.interface(description="An object with a global ID; fetch any of them with node(id:).")
class Node:
    id: strawberry.ID = strawberry.field(
        description='Global ID: standard base64 of "TypeName:number" (Relay; graphql-relay-js\'s '
        'fromGlobalId reads it), e.g. "UGxhbjoz" for Plan 3.'
    )


@strawberry.type(description="Something you sell: an LLM API, a data platform, a database.")
class Product(Node):
    key: str
    name: str
    description: str
    archived: bool
    created_at: datetime
    db_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: ProductRow) -> Product:
        assert row.id is not None
        return cls(
            id=encode_id("Product", row.id),
            db_id=row.id,
            key=row.key,
            name=row.name,
            description=row.description,
            archived=row.archived,
            created_at=row.created_at,
        )

    @strawberry.field(description="The product's plans, cheapest tier first.")
    def plans(
        self,
        info: ContextInfo,
        first: int | None = None,
        after: str | None = None,
        status: PlanStatus | None = None,
        visibility: PlanVisibility | None = None,
    ) -> Connection[Plan]:
        # Batched for every product of the page, then filtered for the caller: without a
        # sales or admin key, only PUBLISHED PUBLIC plans exist.
        actor = info.context.actor

        def page(rows: list[PlanRow]) -> Connection[Plan]:
            rows = catalog.visible_plans(actor, rows)
            chosen = [row for row in rows if _plan_matches(row, status, visibility)]
            return paginate(chosen, first, after, Plan.from_row)

        # Awaited even when the rows are at hand (read with the product by key): the tree
        # under the plans is then completed from a shallow stack. Completed synchronously
        # below the product, graphql-core's recursion for the pricing page crosses a
        # 16 KiB frame data-stack chunk of CPython back and forth, each crossing an
        # mmap/munmap pair: ~186 a request, 1.4 ms of system time (docs/caching.md).
        return awaited(info.context.loaders.plans_by_product_id.load(self.db_id), page)


def _plan_matches(
    row: PlanRow, status: PlanStatus | None, visibility: PlanVisibility | None
) -> bool:
    return (status is None or row.status == status.value) and (
        visibility is None or row.visibility == visibility.value
    )


@strawberry.type(description="A meter: what usage is counted and how it aggregates.")
class Metric(Node):
    key: str
    name: str
    unit_label: str
    aggregation: Aggregation
    event_property: str | None
    dimensions: list[str]

    @classmethod
    def from_row(cls, row: MetricRow) -> Metric:
        assert row.id is not None
        return cls(
            id=encode_id("Metric", row.id),
            key=row.key,
            name=row.name,
            unit_label=row.unit_label,
            aggregation=models.Aggregation(row.aggregation),
            event_property=row.event_property,
            dimensions=list(row.dimensions),
        )


@strawberry.type(description="An ISO 4217 currency or a custom pricing unit such as credits.")
class PricingUnit:
    code: str
    decimals: int = strawberry.field(description="Minor digits amounts are rounded to.")
    is_custom: bool
    invoice_currency: str | None = strawberry.field(
        description="Custom units only: the currency overage is invoiced in."
    )
    overage_rate: Decimal | None = strawberry.field(
        description="Custom units only: invoice currency per unit once credits run out."
    )


@strawberry.type
class Trial:
    days: int
    spending_cap: Decimal | None


@strawberry.type(description="A boolean feature a plan entitles its contracts to.")
class FeatureEntitlement:
    key: str = strawberry.field(description='What checkEntitlement asks about, e.g. "sso".')
    display_name: str = strawberry.field(description='As shown, e.g. "Single sign-on".')


@strawberry.type(description="A per-metric usage limit and rate limit shown on the pricing page.")
class UsageLimit:
    limit: Decimal | None = strawberry.field(description="Units per billing period; null = none.")
    enforcement: LimitEnforcement
    rate_limit: int | None = strawberry.field(description="Requests per rate-limit window.")
    rate_limit_window: RateLimitWindow | None
    metric_id: strawberry.Private[int]

    @strawberry.field
    def metric(self, info: ContextInfo) -> Metric:
        return resolved(info.context.loaders.metric_by_id.load(self.metric_id), Metric.from_row)

    @strawberry.field(description='The rate limit as shown on a page, e.g. "100 req/min".')
    def rate_limit_display(self) -> str | None:
        if self.rate_limit is None or self.rate_limit_window is None:
            return None
        window = {"SECOND": "s", "MINUTE": "min", "HOUR": "h", "DAY": "day"}
        return f"{self.rate_limit} req/{window[self.rate_limit_window.value]}"

    @classmethod
    def from_row(cls, row: UsageLimitRow) -> UsageLimit:
        return cls(
            limit=row.limit_quantity,
            enforcement=LimitEnforcement(row.enforcement),
            rate_limit=row.rate_limit,
            rate_limit_window=(
                RateLimitWindow(row.rate_limit_window) if row.rate_limit_window else None
            ),
            metric_id=row.metric_id,
        )


@strawberry.type(description="A versioned rate card for one product.")
class Plan(Node):
    key: str
    version: int
    name: str = strawberry.field(description='Internal name, e.g. "Acme Corp - Annual 2024".')
    invoice_display_name: str
    description: str
    status: PlanStatus
    visibility: PlanVisibility
    tier_rank: int = strawberry.field(description="Upgrade order on the pricing page.")
    billing_interval: BillingInterval
    billing_anchor: BillingAnchor
    pricing_unit: PricingUnit
    rounding_mode: RoundingMode
    trial: Trial | None
    net_payment_days: int
    features: list[str]
    created_at: datetime
    published_at: datetime | None
    row: strawberry.Private[PlanRow]
    feature_entitlements: list[FeatureEntitlement] = strawberry.field(
        default_factory=list,
        description="Boolean features a contract on this plan is entitled to.",
    )

    @classmethod
    def from_row(cls, row: PlanRow) -> Plan:
        assert row.id is not None
        unit = pricing_unit_of(row)
        return cls(
            id=encode_id("Plan", row.id),
            key=row.key,
            version=row.version,
            name=row.name,
            invoice_display_name=row.invoice_display_name,
            description=row.description,
            status=PlanStatus(row.status),
            visibility=PlanVisibility(row.visibility),
            tier_rank=row.tier_rank,
            billing_interval=models.BillingInterval(row.billing_interval),
            billing_anchor=models.BillingAnchor(row.billing_anchor),
            pricing_unit=PricingUnit(
                code=unit.code,
                decimals=unit.decimals,
                is_custom=unit.is_custom,
                invoice_currency=unit.invoice_currency,
                overage_rate=unit.overage_rate,
            ),
            rounding_mode=models.RoundingMode(row.rounding_mode),
            trial=Trial(days=row.trial_days, spending_cap=row.trial_spending_cap)
            if row.trial_days
            else None,
            net_payment_days=row.net_payment_days,
            # The pricing page's bullets: as given, else the structured features' names.
            features=list(row.features)
            or [str(item["displayName"]) for item in row.feature_entitlements or ()],
            feature_entitlements=[
                FeatureEntitlement(key=str(item["key"]), display_name=str(item["displayName"]))
                for item in row.feature_entitlements or ()
            ],
            created_at=row.created_at,
            published_at=row.published_at,
            row=row,
        )

    @strawberry.field
    def product(self, info: ContextInfo) -> Product:
        loaded = info.context.loaders.product_by_id.load(self.row.product_id)
        return resolved(loaded, Product.from_row)

    @strawberry.field
    def usage_limits(self, info: ContextInfo) -> list[UsageLimit]:
        assert self.row.id is not None
        loaded = info.context.loaders.usage_limits_by_plan_id.load(self.row.id)
        return resolved(loaded, lambda rows: [UsageLimit.from_row(row) for row in rows])

    @strawberry.field(description="Pricing over time; ramp 0 starts with the contract.")
    def ramps(self, info: ContextInfo) -> list[PricingRamp]:
        assert self.row.id is not None
        return resolved(info.context.loaders.ramps_by_plan_id.load(self.row.id), self._ramps)

    def _ramps(self, rows: list[RampRow]) -> list[PricingRamp]:
        ramps, start = [], 0
        for row in rows:
            ramps.append(PricingRamp.from_row(row, start, self.row))
            start += row.duration_periods or 0
        return ramps


@strawberry.type(description="The prices that apply for a number of billing periods.")
class PricingRamp(Node):
    position: int
    duration_periods: int | None = strawberry.field(description="Null on the last ramp.")
    starts_at_period: int = strawberry.field(description="Index of the first billing period.")
    invoice_minimum: Decimal | None
    db_id: strawberry.Private[int]
    plan: strawberry.Private[PlanRow]

    @classmethod
    def from_row(cls, row: RampRow, starts_at_period: int, plan: PlanRow) -> PricingRamp:
        assert row.id is not None
        return cls(
            id=encode_id("PricingRamp", row.id),
            position=row.position,
            duration_periods=row.duration_periods,
            starts_at_period=starts_at_period,
            invoice_minimum=row.invoice_minimum,
            db_id=row.id,
            plan=plan,
        )

    @strawberry.field
    def prices(self, info: ContextInfo) -> list[Price]:
        plan = self.plan
        loaded = info.context.loaders.prices_by_ramp_id.load(self.db_id)
        return resolved(loaded, lambda rows: [price_from_row(row, plan) for row in rows])


@strawberry.type
class Tier:
    up_to: Decimal | None = strawberry.field(description="Inclusive bound; null = unbounded.")
    unit_price: Decimal
    flat_fee: Decimal

    @classmethod
    def from_row(cls, row: TierRow) -> Tier:
        return cls(up_to=row.up_to, unit_price=row.unit_price, flat_fee=row.flat_fee)


@strawberry.type
class DimensionValue:
    name: str
    value: str


@strawberry.type(description="A pricing model and its parameters; which are set depends on it.")
class Rate:
    model: PricingModel
    unit_price: Decimal | None
    package_size: Decimal | None
    package_price: Decimal | None
    package_rounding: PackageRounding | None
    rate_percent: Decimal | None
    fixed_fee_per_event: Decimal | None
    min_per_event: Decimal | None
    max_per_event: Decimal | None
    free_amount: Decimal | None
    markup_percent: Decimal | None
    db_id: strawberry.Private[int]
    free_events: int | None = None

    @classmethod
    def from_row(cls, row: RateRow) -> Rate:
        assert row.id is not None
        model = models.PricingModel(row.model)
        return cls(
            model=model,
            unit_price=row.unit_price if model is models.PricingModel.FLAT else None,
            package_size=row.package_size,
            package_price=row.package_price,
            package_rounding=(
                models.PackageRounding(row.package_rounding)
                if model is models.PricingModel.PACKAGE and row.package_rounding
                else None
            ),
            rate_percent=row.rate_percent,
            fixed_fee_per_event=_only(
                model, models.PricingModel.PERCENTAGE, row.fixed_fee_per_event
            ),
            min_per_event=row.min_per_event,
            max_per_event=row.max_per_event,
            free_amount=_only(model, models.PricingModel.PERCENTAGE, row.free_amount),
            markup_percent=_only(model, models.PricingModel.DYNAMIC, row.markup_percent),
            db_id=row.id,
            free_events=(row.free_events or 0) if model is models.PricingModel.PERCENTAGE else None,
        )

    @strawberry.field
    def tiers(self, info: ContextInfo) -> list[Tier]:
        loaded = info.context.loaders.tiers_by_rate_id.load(self.db_id)
        return resolved(loaded, lambda rows: [Tier.from_row(row) for row in rows])


def _only(
    model: models.PricingModel, wanted: models.PricingModel, value: Decimal | None
) -> Decimal | None:
    return value if model is wanted else None


@strawberry.type(description="A rate-card entry: usage matching every pair here uses `rate`.")
class DimensionRate:
    match: list[DimensionValue]
    rate: Rate


@strawberry.interface(description="A charge on a plan's ramp: usage, fixed or composite.")
class Price(Node):
    key: str = strawberry.field(description="Identifies the same charge across ramps.")
    name: str
    invoice_display_name: str
    row: strawberry.Private[PriceRow]
    plan: strawberry.Private[PlanRow]

    @strawberry.field(description='Pricing-page text, e.g. "$0.002 per 1K tokens".')
    def display_price(self, info: ContextInfo, locale: str = "en_US") -> str:
        # Computed once per price version: a price of a published or archived plan never
        # changes, so its text is kept per locale for the process (store/sealed_rows.py).
        sealed = info.context.loaders.plan_cache.rows
        kept = sealed.derived(PriceRow.__tablename__, self.row.id, self._display_key(locale))
        if kept is not None:
            return str(kept)
        return cast(str, self._display_price(info, locale))

    def _display_key(self, locale: str) -> tuple[str, int | None, str]:
        return ("displayPrice", self.row.id, locale)

    async def _display_price(self, info: ContextInfo, locale: str) -> str:
        sealed = info.context.loaders.plan_cache.rows
        key = self._display_key(locale)
        price = await domain_price(info, self.row)
        try:
            text = display_price(
                price,
                pricing_unit_of(self.plan),
                locale,
                interval=models.BillingInterval(self.plan.billing_interval),
            )
        except UnknownLocale as exc:
            raise PublicError(ErrorCode.INVALID_VALUE, "locale", str(exc)) from None
        sealed.keep_derived(PriceRow.__tablename__, self.row.id, key, text)
        return text


async def domain_price(info: ContextInfo, row: PriceRow) -> models.Price:
    loaders = info.context.loaders
    metric = await loaders.metric_by_id.load(row.metric_id) if row.metric_id else None
    rates = await loaders.rates_by_price_id.load(row.id)
    tiers = await loaders.tiers_by_rate_id.load_many([rate.id for rate in rates])
    return price_to_domain(row, metric, list(zip(rates, tiers, strict=True)))


@strawberry.type(description="Priced per unit of a billable metric.")
class UsagePrice(Price):
    conversion_factor: Decimal = strawberry.field(description="Metric units per priced unit.")
    conversion_rounding: ConversionRounding
    free_units: Decimal = strawberry.field(description="Priced units free each period.")

    @strawberry.field
    def metric(self, info: ContextInfo) -> Metric:
        loaded = info.context.loaders.metric_by_id.load(self.row.metric_id)
        return resolved(loaded, Metric.from_row)

    @strawberry.field(description="The rate for usage no dimension rate matches.")
    def default_rate(self, info: ContextInfo) -> Rate | None:
        loaded = info.context.loaders.rates_by_price_id.load(self.row.id)
        return resolved(loaded, _default_rate)

    @strawberry.field(description="Rate-card entries; the most specific match wins.")
    def dimension_rates(self, info: ContextInfo) -> list[DimensionRate]:
        loaded = info.context.loaders.rates_by_price_id.load(self.row.id)
        return resolved(loaded, _dimension_rates)


def _default_rate(rows: list[RateRow]) -> Rate | None:
    return next((Rate.from_row(r) for r in rows if not r.match), None)


def _dimension_rates(rows: list[RateRow]) -> list[DimensionRate]:
    return [
        DimensionRate(
            match=[DimensionValue(name=n, value=v) for n, v in row.match],
            rate=Rate.from_row(row),
        )
        for row in rows
        if row.match
    ]


@strawberry.type(description="A fixed fee: subscription, platform access, setup.")
class FixedPrice(Price):
    amount: Decimal
    quantity: Decimal
    cadence: FixedCadence
    every_periods: int
    timing: ChargeTiming
    prorate: bool
    is_discount: bool


@strawberry.type(description="A percentage of, or a minimum over, other prices of the ramp.")
class CompositePrice(Price):
    composite_kind: CompositeKind
    value: Decimal
    quantity: Decimal = strawberry.field(description="0 disables the charge.")
    price_keys: list[str]


# A price's global ID names its concrete type, as `__typename` does (services.ids accepts
# the old "Price:<id>" IDs too).
PRICE_TYPE_NAMES = {
    models.PriceKind.USAGE: "UsagePrice",
    models.PriceKind.FIXED: "FixedPrice",
    models.PriceKind.COMPOSITE: "CompositePrice",
}


def price_from_row(row: PriceRow, plan: PlanRow) -> Price:
    assert row.id is not None
    kind = models.PriceKind(row.kind)
    common: dict[str, Any] = {
        "id": encode_id(PRICE_TYPE_NAMES[kind], row.id),
        "key": row.key,
        "name": row.name,
        "invoice_display_name": row.invoice_display_name,
        "row": row,
        "plan": plan,
    }
    if kind is models.PriceKind.USAGE:
        return UsagePrice(
            **common,
            conversion_factor=row.conversion_factor or Decimal(1),
            conversion_rounding=models.ConversionRounding(row.conversion_rounding or "NONE"),
            free_units=row.free_units or Decimal(0),
        )
    if kind is models.PriceKind.FIXED:
        assert row.amount is not None
        return FixedPrice(
            **common,
            amount=row.amount,
            quantity=row.quantity if row.quantity is not None else Decimal(1),
            cadence=models.FixedCadence(row.cadence or "RECURRING"),
            every_periods=row.every_periods or 1,
            timing=models.ChargeTiming(row.timing or "IN_ARREARS"),
            prorate=bool(row.prorate),
            is_discount=bool(row.is_discount),
        )
    return CompositePrice(
        **common,
        composite_kind=models.CompositeKind(row.composite_kind or "PERCENTAGE"),
        value=row.composite_value or Decimal(0),
        quantity=row.quantity if row.quantity is not None else Decimal(1),
        price_keys=list(row.composite_price_keys),
    )


CATALOG_TYPES: tuple[type, ...] = (UsagePrice, FixedPrice, CompositePrice)


describe(
    Product,
    key='Unique slug used in URLs and by integrations, e.g. "llm-platform".',
    name='Name shown to customers, e.g. "Neural Language Engine".',
    description="Marketing text for the pricing page.",
    archived="True once retired: readable, but no new plans.",
    created_at="When the product was created (UTC).",
)
describe_args(
    Product,
    {
        "plans": {
            "first": "Page size: at most 100, default 50.",
            "after": "Cursor from `pageInfo.endCursor` of the previous page.",
            "status": "Only plans with this status (callers without a sales or admin key "
            "see only PUBLISHED).",
            "visibility": "Only PUBLIC or only PRIVATE plans.",
        }
    },
)
describe(
    Metric,
    key='Unique slug usage events name, e.g. "input_tokens".',
    name='Name shown on invoices, e.g. "Input tokens".',
    unit_label='Unit of one metered quantity, e.g. "tokens", "GB", "calls".',
    aggregation="How a period's events become one quantity.",
    event_property='Event property the aggregation reads, e.g. "tokens"; null for COUNT.',
    dimensions='Properties usage can be grouped and priced by, e.g. ["model", "region"].',
)
describe(
    PricingUnit,
    code='ISO 4217 currency ("USD", "EUR", "JPY") or a custom unit ("CCU", "credits").',
    is_custom="True for a custom unit (credits) rather than an ISO currency.",
)
describe(
    Trial,
    "A free trial at the start of a contract.",
    days="Length of the trial in days, from the contract start.",
    spending_cap="Most usage the trial pays for, in the plan's pricing unit; null = no cap.",
)
describe(
    UsageLimit,
    enforcement="HARD (blocked past the limit) or SOFT (warns).",
    rate_limit_window="Window `rateLimit` counts in; null when there is no rate limit.",
    metric="The metric the limit counts.",
)
describe(
    Plan,
    key='Stable slug across versions, e.g. "llm-pro".',
    version="1 for the first version; createPlanVersion adds 1.",
    invoice_display_name='Name on invoices and the pricing page, e.g. "Pro".',
    description="Pricing-page text for the plan.",
    status="DRAFT, PUBLISHED or ARCHIVED.",
    visibility="PUBLIC (pricing page) or PRIVATE (a negotiated deal).",
    billing_interval="Length of one billing period.",
    billing_anchor="Where billing periods start.",
    pricing_unit="Currency (or custom unit) every amount of the plan is in.",
    rounding_mode="How line amounts are rounded to the unit's minor digits.",
    trial="The free trial; null = none.",
    net_payment_days="Days from an invoice's issue date to its due date (net 30 = 30).",
    features='Pricing-page bullet points, e.g. ["Community support", "Usage caps"]; when '
    "the plan gives none, the display names of its featureEntitlements.",
    created_at="When this version was created (UTC).",
    published_at="When this version was published (UTC); null while DRAFT.",
    product="The product the plan sells.",
    usage_limits="Per-metric limits and rate limits shown on the pricing page.",
)
describe(
    PricingRamp,
    position="0 for the first ramp, in order.",
    invoice_minimum="Least a period's invoice comes to under this ramp (a true-up makes up "
    "the rest); null = none.",
    prices="The charges of this ramp.",
)
describe(
    Tier,
    "One band of a TIERED or VOLUME rate.",
    unit_price="Price per unit in this tier, in the plan's pricing unit.",
    flat_fee="Charged once when any unit falls in the tier (tier 1: even at 0 units).",
)
describe(
    DimensionValue,
    'One dimension and its value, e.g. model = "gpt-4".',
    name='Dimension name, e.g. "model".',
    value='Dimension value, e.g. "gpt-4".',
)
describe(
    Rate,
    model="Which pricing model; it says which fields below are set.",
    unit_price="FLAT: price per priced unit.",
    package_size="PACKAGE: units per package.",
    package_price="PACKAGE: price of one package.",
    package_rounding="PACKAGE: whether a started package is paid (UP) or not (DOWN).",
    rate_percent="PERCENTAGE: percent of each transaction's amount, e.g. 2.9.",
    fixed_fee_per_event="PERCENTAGE: fee added per transaction, e.g. 0.30.",
    min_per_event="PERCENTAGE: least one transaction pays.",
    max_per_event="PERCENTAGE: most one transaction pays.",
    free_amount="PERCENTAGE: transaction volume per period that pays nothing.",
    free_events="PERCENTAGE: how many transactions of each period pay nothing (0: none).",
    markup_percent="DYNAMIC: percent added to the events' own costs, e.g. 20.",
    tiers="TIERED and VOLUME: the tiers, lowest first.",
)
describe(
    DimensionRate,
    match='Dimension values a usage group must have, e.g. model = "gpt-4".',
    rate="The rate for usage matching them.",
)
describe(
    Price,
    name='Name on the pricing page, e.g. "Input tokens".',
    invoice_display_name="Name on invoice lines.",
)
describe_args(
    Price, {"display_price": {"locale": 'Locale to format for, e.g. "en_US" or "de_DE".'}}
)
describe(
    UsagePrice,
    conversion_rounding="How converted quantities round to whole priced units.",
    metric="The metric whose usage this prices.",
)
describe(
    FixedPrice,
    amount="Fee per unit of `quantity`, in the plan's pricing unit; negative for a discount.",
    quantity="How many are charged (licences, seats); 1 by default.",
    cadence="RECURRING or ONE_TIME.",
    every_periods="RECURRING: charged every N billing periods (3 = quarterly on a monthly plan).",
    timing="Invoiced at the start (IN_ADVANCE) or the end (IN_ARREARS) of its periods.",
    prorate="Whether a partial period pays by days used.",
    is_discount="A discount: negative, and never takes the invoice below zero.",
)
describe(
    CompositePrice,
    composite_kind="PERCENTAGE of, or MINIMUM over, the listed prices.",
    value="PERCENTAGE: the percent (10 = 10%); MINIMUM: the amount per period.",
    price_keys="Keys of the prices of the same ramp it applies to.",
)
