"""`ingestUsage`: the GraphQL edge of `services.usage.ingest_events`."""

from __future__ import annotations

import strawberry

from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.describe import describe_args
from pricing_graph.api.usage.inputs import UsageEventInput, to_event
from pricing_graph.api.usage.types import EventError, IngestUsagePayload, OverLimitEvent
from pricing_graph.services import usage
from pricing_graph.services.errors import DomainError
from pricing_graph.services.usage import IngestResult


def to_payload(result: IngestResult) -> IngestUsagePayload:
    return IngestUsagePayload(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=result.rejected,
        unbilled=result.unbilled,
        errors=[
            EventError(index=p.index, field=p.field, code=p.code, message=p.message)
            for p in result.problems
        ],
        over_limit=[
            OverLimitEvent(
                index=o.index,
                customer_id=o.customer_id,
                metric_key=o.metric_key,
                limit=o.limit,
                used=o.used,
            )
            for o in result.over_limit
        ],
    )


@strawberry.type
class UsageMutation:
    @strawberry.mutation(
        description="Record up to 10,000 usage events. Each is stored once per (customerId, "
        "eventId), for ever; bad events are reported by index and the good ones are stored "
        "together in one transaction. For bulk loads, POST /v1/usage/events takes the same "
        "events as JSON. An admin key sends usage for any customer, a partner key for the "
        "customers it owns."
    )
    async def ingest_usage(
        self, info: ContextInfo, events: list[UsageEventInput]
    ) -> IngestUsagePayload:
        context = info.context
        try:
            result = await usage.ingest_events(
                context.uow, context.actor, [to_event(event) for event in events]
            )
        except DomainError as refused:  # FORBIDDEN: nothing was read or stored
            result = usage.refused_batch(len(events), refused)
        return to_payload(result)


describe_args(
    UsageMutation,
    {"ingest_usage": {"events": "The events, at most 10,000; errors name their index."}},
)
