"""Usage payload types."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from pricing_graph.api.describe import describe
from pricing_graph.api.errors import ErrorCode


@strawberry.type(description="Why one event (or the whole batch, `index` null) was refused.")
class EventError:
    index: int | None = strawberry.field(
        description="Position of the event in `events`; null for the whole batch."
    )
    field: str | None = strawberry.field(
        description='Dotted input path, e.g. "events.3.metricKey"; null for the request as a '
        "whole (FORBIDDEN)."
    )
    code: ErrorCode
    message: str


@strawberry.type(
    description="An accepted event that took its customer past a HARD limit this billing "
    "period: stored all the same (usage is a fact); the gateway should block what follows."
)
class OverLimitEvent:
    index: int = strawberry.field(description="Position of the event in `events`.")
    customer_id: str = strawberry.field(description="The customer's external ID.")
    metric_key: str = strawberry.field(description="The limited metric.")
    limit: Decimal = strawberry.field(description="The HARD limit per billing period.")
    used: Decimal = strawberry.field(description="The period's use after this batch.")


@strawberry.type(
    description="What happened to a batch: every event is counted once as accepted, "
    "duplicate or rejected."
)
class IngestUsagePayload:
    accepted: int = strawberry.field(description="Events stored by this call.")
    duplicates: int = strawberry.field(
        description="Events whose (customerId, eventId) was already stored, or appeared "
        "earlier in this batch, with the same payload; nothing was written for them. The "
        "same eventId with another payload is rejected (EVENT_ID_REUSED)."
    )
    rejected: int = strawberry.field(description="Events refused; see `errors`.")
    unbilled: int = strawberry.field(
        description="Accepted events no contract of the customer covers at their timestamp; "
        "stored anyway, billed by no invoice until a contract covers them."
    )
    errors: list[EventError]
    over_limit: list[OverLimitEvent] = strawberry.field(
        default_factory=list,
        description="Accepted events past a HARD limit of a contract in force today, in "
        "this billing period (checkEntitlement answers allowed: false from then on).",
    )


describe(
    EventError,
    code="Why, for programs, e.g. UNKNOWN_METRIC.",
    message="Why, for people, with how to fix it.",
)
describe(IngestUsagePayload, errors="One entry per refused event (or the batch).")
