"""setContractEntitlement: a contract's override of one feature or metered limit."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from pricing_graph.api.catalog.enums import LimitEnforcement
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.contracts.mutations import ContractPayload, _contract_payload
from pricing_graph.api.describe import describe, describe_args
from pricing_graph.services import entitlements


@strawberry.input(
    description="Override one entitlement of a contract from now on: a feature "
    "(featureKey + enabled) or a metered limit (metricKey + limit + enforcement)."
)
class SetContractEntitlementInput:
    contract_id: strawberry.ID
    expected_revision: int
    feature_key: str | None = None
    enabled: bool | None = None
    metric_key: str | None = None
    limit: Decimal | None = None
    enforcement: LimitEnforcement | None = None


describe(
    SetContractEntitlementInput,
    contract_id="The contract's global ID.",
    expected_revision="The revision you read; a stale one is CONFLICT.",
    feature_key='The feature to grant or withdraw, e.g. "sso".',
    enabled="With featureKey: true grants it, false withdraws it.",
    metric_key='The metric whose limit to set, e.g. "api_calls".',
    limit="With metricKey: units per billing period; null = unlimited.",
    enforcement="With metricKey: HARD (default) or SOFT.",
)


@strawberry.type
class EntitlementMutation:
    @strawberry.mutation(
        description="Override one of a contract's entitlements (a feature or a metered "
        "limit); one revision, kept in the amendment log."
    )
    async def set_contract_entitlement(
        self, info: ContextInfo, input: SetContractEntitlementInput
    ) -> ContractPayload:
        context = info.context
        given = entitlements.EntitlementOverride(
            contract_id=input.contract_id,
            expected_revision=input.expected_revision,
            feature_key=input.feature_key,
            enabled=input.enabled,
            metric_key=input.metric_key,
            limit=input.limit,
            enforcement=input.enforcement.value if input.enforcement else None,
        )
        return await _contract_payload(
            context, entitlements.set_contract_entitlement(context.uow, context.actor, given)
        )


describe_args(
    EntitlementMutation,
    {"set_contract_entitlement": {"input": "The contract, its revision and the override."}},
)
