"""Entitlement types: a customer's entitlements, a gateway check's answer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum

import strawberry

from pricing_graph.api.describe import describe, describe_enum
from pricing_graph.api.ids import encode_id
from pricing_graph.services import entitlements as service


class EntitlementKind(Enum):
    FEATURE = "FEATURE"
    METERED = "METERED"


strawberry.enum(EntitlementKind, description="What an entitlement grants.")
describe_enum(
    EntitlementKind,
    "What an entitlement grants.",
    FEATURE="A boolean feature (e.g. single sign-on): granted or not.",
    METERED="A metered limit: a quantity of a metric per billing period, HARD or SOFT.",
)


@strawberry.type(description="One entitlement of one of the customer's contracts in force today.")
class Entitlement:
    kind: EntitlementKind
    key: str
    display_name: str
    product_key: str
    plan_key: str
    contract_id: strawberry.ID
    enabled: bool
    limit: Decimal | None
    enforcement: str | None
    used: Decimal | None
    remaining: Decimal | None
    period_start: date | None
    period_end: date | None
    overridden: bool

    @classmethod
    def of(cls, found: service.Entitlement) -> Entitlement:
        return cls(
            kind=EntitlementKind(found.kind),
            key=found.key,
            display_name=found.display_name,
            product_key=found.product_key,
            plan_key=found.plan_key,
            contract_id=strawberry.ID(encode_id("Contract", found.contract_id)),
            enabled=found.enabled,
            limit=found.limit,
            enforcement=found.enforcement,
            used=found.used,
            remaining=found.remaining,
            period_start=found.period_start,
            period_end=found.period_end,
            overridden=found.overridden,
        )


describe(
    Entitlement,
    kind="FEATURE or METERED.",
    key='The feature key ("sso") or the metric key ("api_calls").',
    display_name="The feature's display name, or the metric's name.",
    product_key="The product of the contract that grants it.",
    plan_key="The plan the contract is on today.",
    contract_id="The contract's global ID.",
    enabled="FEATURE: granted (only granted features are listed); METERED: always true.",
    limit="METERED: units per billing period; null = unlimited.",
    enforcement="METERED: HARD (checkEntitlement refuses past it) or SOFT (allows, warns).",
    used="METERED: this billing period's use so far, in the metric's unit.",
    remaining="METERED: limit - used, never below 0; null when unlimited.",
    period_start="METERED: first day of the current billing period.",
    period_end="METERED: the day after its last (exclusive).",
    overridden="The contract overrides the plan's value (setContractEntitlement).",
)


@strawberry.type(
    description="The gateway's answer: may the customer use this, and how much is left?"
)
class EntitlementCheck:
    allowed: bool
    kind: EntitlementKind
    key: str
    quantity: Decimal
    plan_key: str | None
    limit: Decimal | None
    enforcement: str | None
    used: Decimal | None
    remaining: Decimal | None
    over_limit: bool
    next_plan_key: str | None

    @classmethod
    def of(cls, found: service.EntitlementCheck) -> EntitlementCheck:
        return cls(
            allowed=found.allowed,
            kind=EntitlementKind(found.kind),
            key=found.key,
            quantity=found.quantity,
            plan_key=found.plan_key,
            limit=found.limit,
            enforcement=found.enforcement,
            used=found.used,
            remaining=found.remaining,
            over_limit=found.over_limit,
            next_plan_key=found.next_plan_key,
        )


describe(
    EntitlementCheck,
    allowed="Whether to let the request through: the feature is granted, or `quantity` more "
    "fits the limit (a SOFT limit always allows; no limit = allowed). False without a "
    "contract in force.",
    kind="FEATURE or METERED.",
    key="The feature or metric key asked about.",
    quantity="The quantity asked about (1 by default).",
    plan_key="The plan in force that decided; null when no contract grants or limits it.",
    limit="The limit per billing period; null for a feature or when unlimited.",
    enforcement="HARD or SOFT; null for a feature.",
    used="This billing period's use so far; null for a feature or when unlimited.",
    remaining="limit - used, never below 0; null for a feature or when unlimited.",
    over_limit="`quantity` more would pass the limit (true with allowed for a SOFT limit).",
    next_plan_key="When refused: the lowest published public plan of a higher tier of the "
    "same product that would allow it (the upgrade prompt); null if none.",
)
