"""Usage payload types."""

from __future__ import annotations

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


describe(
    EventError,
    code="Why, for programs, e.g. UNKNOWN_METRIC.",
    message="Why, for people, with how to fix it.",
)
describe(IngestUsagePayload, errors="One entry per refused event (or the batch).")
