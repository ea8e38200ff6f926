"""Two loader shapes over store batch reads: a row by its id, and the ordered children of a
parent id."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from strawberry.dataloader import DataLoader

from pricing_graph.store.batch import children_by_parent_ids, rows_by_ids
from pricing_graph.store.sealed_rows import SealedRows

RowT = TypeVar("RowT")
KeyT = TypeVar("KeyT")
ValueT = TypeVar("ValueT")
Reader = Callable[[Any], Awaitable[Sequence[Any]]]


class Loader(DataLoader[KeyT, ValueT]):
    """A DataLoader whose loads survive the cancellation of one of their awaiters.

    Several resolvers await the same batch future. When a non-null field fails, graphql-core
    cancels its sibling resolvers; awaiting a future directly would cancel the shared
    future with them, and every other resolver awaiting it would get a CancelledError that
    escapes error handling (a 500). Each caller awaits its own shield instead."""

    def load(self, key: KeyT) -> Awaitable[ValueT]:
        future = super().load(key)
        # A loaded value needs no shield: awaiting a done future cannot cancel it.
        if isinstance(future, asyncio.Future) and future.done():
            return future
        return asyncio.shield(future)


class RowByIdLoader(Loader[int, RowT | None], Generic[RowT]):
    model: ClassVar[type[Any]]

    def __init__(self, read: Reader, sealed: SealedRows | None = None) -> None:
        super().__init__(load_fn=self._load)
        self._read = read
        self._sealed = sealed

    async def _load(self, ids: Sequence[int]) -> list[RowT | None]:
        return await rows_by_ids(self._read, self.model, ids, self._sealed)


class RowsByParentLoader(Loader[int, list[RowT]], Generic[RowT]):
    model: ClassVar[type[Any]]
    parent: ClassVar[str]
    order_by: ClassVar[tuple[str, ...]] = ("position", "id")

    def __init__(self, read: Reader, sealed: SealedRows | None = None) -> None:
        super().__init__(load_fn=self._load)
        self._read = read
        self._sealed = sealed

    async def _load(self, parent_ids: Sequence[int]) -> list[list[RowT]]:
        return await children_by_parent_ids(
            self._read, self.model, self.parent, self.order_by, parent_ids, self._sealed
        )
