"""Audit events as GraphQL types: who wrote what, when, with which input."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from pricing_graph.api.describe import describe
from pricing_graph.api.ids import encode_id
from pricing_graph.api.pagination import PageInfo
from pricing_graph.services.audit import AuditEvent as DomainAuditEvent
from pricing_graph.services.audit import AuditPage


def cursor_of(event_id: int) -> str:
    """An opaque cursor naming one event (the next page starts after it)."""
    return str(encode_id("AuditEvent", event_id))


@strawberry.type(description="One write, recorded in the same transaction as the write itself.")
class AuditEvent:
    number: int = strawberry.field(
        description="The event's sequence number: a later event has a higher one."
    )
    occurred_at: datetime
    key_id: int | None = strawberry.field(
        description="The API key the caller used (as `pricing-graph keys list` shows it); "
        "null for a key of PRICING_GRAPH_API_KEYS or the CLI (see `caller`)."
    )
    caller: str = strawberry.field(
        description='Who acted: "key:<id>", "env:<digest>" (a PRICING_GRAPH_API_KEYS key), '
        '"system" (the CLI and the demo seeder).'
    )
    role: str = strawberry.field(description="The caller's role: admin, sales or partner.")
    operation: str = strawberry.field(
        description='The mutation or endpoint, e.g. "createContract".'
    )
    object_type: str = strawberry.field(
        description='What was written, e.g. "Contract"; "UsageBatch" for a batch of usage.'
    )
    object_id: strawberry.ID | None = strawberry.field(
        description="Its global ID (null for a usage batch)."
    )
    object_ids: list[int] = strawberry.field(
        description="Database ids of the other objects the write touched: a usage batch's "
        "customers; for acceptQuote, the customer then the contract."
    )
    input: JSON = strawberry.field(
        description="The request's input as JSON (decimals and dates as strings); for a "
        "usage batch, its counts."
    )
    cursor: str = strawberry.field(description="Pass it as `after` for the events before it.")

    @classmethod
    def of(cls, event: DomainAuditEvent) -> AuditEvent:
        return cls(
            number=event.id,
            occurred_at=event.occurred_at,
            key_id=event.key_id,
            caller=event.caller,
            role=event.role,
            operation=event.operation,
            object_type=event.object_type,
            object_id=None
            if event.object_id is None
            else encode_id(event.object_type, event.object_id),
            object_ids=list(event.object_ids),
            input=cast(JSON, dict(event.input)),
            cursor=cursor_of(event.id),
        )


@strawberry.type(description="A page of audit events, newest first.")
class AuditEventPage:
    nodes: list[AuditEvent]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Events matching the filters in all (counted when asked).")
    async def total_count(self) -> int:
        return await self.count()

    @classmethod
    def of(
        cls, page: AuditPage, *, after: str | None, count: Callable[[], Awaitable[int]]
    ) -> AuditEventPage:
        nodes = [AuditEvent.of(event) for event in page.events]
        return cls(
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=after is not None,
                start_cursor=nodes[0].cursor if nodes else None,
                end_cursor=nodes[-1].cursor if nodes else None,
            ),
            count=count,
        )


describe(AuditEvent, occurred_at="When the write committed (UTC).")
describe(
    AuditEventPage,
    nodes="The page's events, newest first.",
    page_info="Whether older events follow, and the cursor to get them.",
)
