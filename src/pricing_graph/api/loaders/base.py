"""Two loader shapes over store batch reads: a row by its id, and the ordered children of a
parent id."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

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
    escapes error handling (a 500). Each caller awaits its own shield instead, whose error
    counts as retrieved even when nobody is left to await it."""

    def load(self, key: KeyT) -> Awaitable[ValueT]:
        kept = self.kept(key)
        if kept is not None:  # no batch, no wait: a done future
            done: asyncio.Future[ValueT] = self.loop.create_future()
            done.set_result(kept)
            return done
        future = super().load(key)
        # A loaded value needs no shield: awaiting a done future cannot cancel it.
        if isinstance(future, asyncio.Future) and future.done():
            return future
        shielded = asyncio.shield(future)
        # When every awaiter is cancelled (a sibling's error ended the request), neither the
        # batch future (a cancelled shield stops watching it) nor an unawaited shield is
        # awaited: their error is taken here, not logged as "never retrieved" when the
        # batch then fails (as it may, on a connection the cancellation invalidated). An
        # awaiting resolver still gets it.
        if isinstance(future, asyncio.Future):
            future.add_done_callback(_taken)
        shielded.add_done_callback(_taken)
        return shielded

    def kept(self, key: KeyT) -> ValueT | None:
        """The value without a load, when the process keeps it (store/sealed_rows.py)."""
        return None


def resolved(loaded: Awaitable[ValueT], build: Callable[[ValueT], RowT]) -> RowT:
    """`build` of a loaded value: at once when the loader holds it (kept for the process, or
    loaded earlier in the request), else an awaitable of it.

    For synchronous resolvers: graphql-core awaits an awaitable answer, so a field whose
    value is at hand costs no coroutine, task or event-loop round. Typed as the value, as
    Strawberry takes the GraphQL type from the resolver's annotation."""
    if isinstance(loaded, asyncio.Future):
        if loaded.done():
            return build(loaded.result())
        # graphql-core may never await `later` (a sibling's error ends the list or object
        # first): the load's error is then taken here, not logged as never retrieved.
        loaded.add_done_callback(_taken)

    async def later() -> RowT:
        return build(await loaded)

    return cast(RowT, later())


def awaited(loaded: Awaitable[ValueT], build: Callable[[ValueT], RowT]) -> RowT:
    """`build` of a loaded value, always as an awaitable (see `Product.plans` for why);
    typed as the value, as `resolved` is."""
    if isinstance(loaded, asyncio.Future) and not loaded.done():
        loaded.add_done_callback(_taken)

    async def later() -> RowT:
        return build(await loaded)

    return cast(RowT, later())


def _taken(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class RowByIdLoader(Loader[int, RowT | None], Generic[RowT]):
    model: ClassVar[type[Any]]

    def __init__(self, read: Reader, sealed: SealedRows | None = None) -> None:
        super().__init__(load_fn=self._load)
        self._read = read
        self._sealed = sealed

    def kept(self, key: int) -> RowT | None:
        if self._sealed is None:
            return None
        found: RowT | None = self._sealed.row(self.model.__tablename__, key)
        return found

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

    def kept(self, key: int) -> list[RowT] | None:
        if self._sealed is None:
            return None
        children = self._sealed.children(self.model.__tablename__, self.parent, key)
        return None if children is None else list(children)

    def read_with_parent(self, parent_id: int, rows: Sequence[RowT]) -> None:
        """`parent_id`'s children, read with their parent (one statement for both): later
        loads of it are answered from them, as if this loader had read them."""
        if self._sealed is not None:
            self._sealed.note(self.model.__tablename__, rows)
        self.prime(parent_id, list(rows))

    async def _load(self, parent_ids: Sequence[int]) -> list[list[RowT]]:
        return await children_by_parent_ids(
            self._read, self.model, self.parent, self.order_by, parent_ids, self._sealed
        )
