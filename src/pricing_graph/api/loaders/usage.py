"""Usage aggregates, batched across contracts: a page of invoice previews costs the same
two statements as one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from pricing_graph.api.loaders.base import Loader
from pricing_graph.rating.usage import UsageSnapshot
from pricing_graph.store.usage_repo import UsageRequest
from pricing_graph.store.usage_store import SqlUsageStore, UsageStore

SessionOpener = Callable[[], AbstractAsyncContextManager[Any]]


class UsageByRequestLoader(Loader[UsageRequest, list[UsageSnapshot]]):
    def __init__(self, reader: SessionOpener, store: UsageStore | None = None) -> None:
        super().__init__(load_fn=self._load)
        self._reader = reader
        self._store = store or SqlUsageStore()

    async def _load(self, requests: Sequence[UsageRequest]) -> list[list[UsageSnapshot]]:
        async with self._reader() as session:
            return await self._store.aggregate_usage_many(session, requests)


__all__ = ["UsageByRequestLoader"]
