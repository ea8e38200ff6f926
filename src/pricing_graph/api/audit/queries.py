"""`auditEvents`: the audit log, newest first, for admin keys only."""

from __future__ import annotations

import strawberry

from pricing_graph.api.audit.types import AuditEventPage
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.describe import describe_args
from pricing_graph.api.errors import ErrorCode, PublicError
from pricing_graph.api.ids import InvalidGlobalId, decode_id
from pricing_graph.services import access, audit
from pricing_graph.services.errors import DomainError


def _object(object_type: str | None, object_id: str | None) -> tuple[str | None, int | None]:
    """The (type, database id) to filter on: a global ID names its own type."""
    if object_id is None:
        return object_type, None
    try:
        found_type, found_id = decode_id(object_id, object_type)
    except InvalidGlobalId as bad:
        raise PublicError(ErrorCode.INVALID_ID, "objectId", str(bad)) from None
    return found_type, found_id


def _after(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        return decode_id(cursor, "AuditEvent")[1]
    except InvalidGlobalId:
        raise PublicError(
            ErrorCode.INVALID_CURSOR, "after", f"{cursor!r} is not an audit event cursor"
        ) from None


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Every write recorded (who, what, when, with which input), newest "
        "first; optionally of one object (objectType, or objectId: a global ID) or of one "
        "API key (keyId). Admin keys only."
    )
    async def audit_events(
        self,
        info: ContextInfo,
        first: int | None = None,
        after: str | None = None,
        object_type: str | None = None,
        object_id: strawberry.ID | None = None,
        key_id: int | None = None,
    ) -> AuditEventPage:
        context = info.context
        try:
            access.authorize(context.actor, "auditEvents")
        except DomainError as refused:
            raise PublicError.of(refused) from None
        found_type, found_id = _object(object_type, object_id)
        try:
            page = await audit.audit_events(
                context.uow,
                object_type=found_type,
                object_id=found_id,
                key_id=key_id,
                first=audit.DEFAULT_PAGE_SIZE if first is None else first,
                after=_after(after),
            )
        except DomainError as refused:
            raise PublicError.of(refused) from None
        return AuditEventPage.of(
            page,
            after=after,
            count=lambda: audit.count_audit_events(
                context.uow, object_type=found_type, object_id=found_id, key_id=key_id
            ),
        )


describe_args(
    AuditQuery,
    {
        "audit_events": {
            "first": "Page size: at most 100, default 50.",
            "after": "An event's `cursor`: the page starts with the event before it.",
            "object_type": 'Only writes of this type, e.g. "Contract".',
            "object_id": "Only writes of this object (its global ID).",
            "key_id": "Only writes made with this API key (its number in `keys list`).",
        }
    },
)
