"""Entitlement queries: `entitlements(customerId)` and the gateway's `checkEntitlement`."""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry

from pricing_graph.api.catalog.queries import served
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.describe import describe_args
from pricing_graph.api.entitlements.types import Entitlement, EntitlementCheck
from pricing_graph.services import entitlements


@strawberry.type
class EntitlementQuery:
    @strawberry.field(
        description="What the customer's contracts in force today entitle it to: features, "
        "and metered limits with this period's use."
    )
    async def entitlements(
        self, info: ContextInfo, customer_id: str, date: datetime.date | None = None
    ) -> list[Entitlement]:
        context = info.context
        found = await served(
            entitlements.entitlements(context.uow, context.actor, customer_id, today=date)
        )
        return [Entitlement.of(item) for item in found]

    @strawberry.field(
        description="The gateway's question: may the customer use a feature, or `quantity` "
        "more of a metric, now? Give featureKey or metricKey."
    )
    async def check_entitlement(
        self,
        info: ContextInfo,
        customer_id: str,
        feature_key: str | None = None,
        metric_key: str | None = None,
        quantity: Decimal = Decimal(1),
        date: datetime.date | None = None,
    ) -> EntitlementCheck:
        context = info.context
        question = entitlements.EntitlementQuestion(
            customer_id=customer_id,
            feature_key=feature_key,
            metric_key=metric_key,
            quantity=quantity,
        )
        found = await served(
            entitlements.check_entitlement(context.uow, context.actor, question, today=date)
        )
        return EntitlementCheck.of(found)


describe_args(
    EntitlementQuery,
    {
        "entitlements": {
            "customer_id": 'The customer\'s external ID, e.g. "startup-inc".',
            "date": "The day to answer for (its contracts and billing period); today by default.",
        },
        "check_entitlement": {
            "customer_id": 'The customer\'s external ID, e.g. "startup-inc".',
            "feature_key": 'A feature key, e.g. "sso"; or give metricKey.',
            "metric_key": 'A metric key, e.g. "api_calls"; or give featureKey.',
            "quantity": "How much more of the metric the request would use; 1 by default.",
            "date": "The day to answer for (its contracts and billing period); today by default.",
        },
    },
)
