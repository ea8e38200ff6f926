"""What was worked out for a parsed document, kept by the document's identity.

ParserCache hands out one `DocumentNode` per query text, and hashing a document walks its
whole tree, so per-document results (the limits it passed, its validation errors) are kept
by `id(document)` plus what else they depend on. Each entry holds its document, so the id
is not reused while the entry is kept; the least recently used entry goes first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from graphql import DocumentNode

ValueT = TypeVar("ValueT")
_MISSING = object()


class DocumentMemo(Generic[ValueT]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[int, Hashable], tuple[DocumentNode, ValueT]] = OrderedDict()

    def get(self, document: DocumentNode, given: Hashable, default: ValueT) -> ValueT:
        """What was kept for `document` with `given`, else `default`."""
        key = (id(document), given)
        kept = self._kept.get(key)
        if kept is None or kept[0] is not document:
            return default
        self._kept.move_to_end(key)
        return kept[1]

    def keep(self, document: DocumentNode, given: Hashable, value: ValueT) -> None:
        self._kept[(id(document), given)] = (document, value)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def clear(self) -> None:
        self._kept.clear()
