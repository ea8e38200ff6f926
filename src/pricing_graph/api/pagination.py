"""Relay-style connections with `first`/`after`, at most 100 items a page."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from pricing_graph.api.describe import describe
from pricing_graph.api.errors import ErrorCode, PublicError

MAX_PAGE_SIZE = 100
_OFFSET = re.compile(r"[0-9]{1,9}")
DEFAULT_PAGE_SIZE = 50

NodeT = TypeVar("NodeT")
ItemT = TypeVar("ItemT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total_count: int

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


describe(
    PageInfo,
    "Where a page sits in the whole list (Relay's PageInfo).",
    has_next_page="True when more items follow: pass endCursor as `after`.",
    has_previous_page="True when this is not the first page.",
    start_cursor="Cursor of the page's first item; null on an empty page.",
    end_cursor="Cursor of the page's last item; null on an empty page.",
)
describe(
    Edge,
    "One item of a page, with its cursor.",
    cursor="Opaque position of this item; pass it as `after` to continue after it.",
    node="The item.",
)
describe(
    Connection,
    "One page of a list (a Relay connection): `nodes` or `edges`, and where it sits.",
    edges="The page's items with their cursors.",
    page_info="Whether more pages follow, and the cursors to get them.",
    total_count="Items in the whole list (every page), after filters.",
    nodes="The page's items, without cursors.",
)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def page_window(first: int | None, after: str | None) -> tuple[int, int]:
    """(offset, limit) for the page, or a PublicError naming the bad argument."""
    limit = DEFAULT_PAGE_SIZE if first is None else first
    if limit > MAX_PAGE_SIZE:
        raise PublicError(
            ErrorCode.PAGE_SIZE_TOO_LARGE, "first", f"first may be at most {MAX_PAGE_SIZE}"
        )
    if limit < 0:
        raise PublicError(ErrorCode.INVALID_VALUE, "first", "first must be 0 or more")
    if after is None:
        return 0, limit
    try:
        kind, _, offset = base64.urlsafe_b64decode(after.encode()).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        kind, offset = "", ""
    if kind != "offset" or not _OFFSET.fullmatch(offset):
        raise PublicError(
            ErrorCode.INVALID_CURSOR, "after", f"{after!r} is not a cursor from this API"
        )
    return int(offset) + 1, limit


def build_connection(
    items: Sequence[ItemT],
    offset: int,
    total: int,
    to_node: Callable[[ItemT], NodeT],
) -> Connection[NodeT]:
    """`items` is the page already cut from the full list at `offset`."""
    edges = [Edge(cursor=_cursor(offset + i), node=to_node(item)) for i, item in enumerate(items)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=offset + len(items) < total,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


def paginate(
    items: Sequence[ItemT],
    first: int | None,
    after: str | None,
    to_node: Callable[[ItemT], NodeT],
) -> Connection[NodeT]:
    offset, limit = page_window(first, after)
    return build_connection(items[offset : offset + limit], offset, len(items), to_node)
