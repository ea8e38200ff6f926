"""Per-request context: the caller, its unit of work, and DataLoaders over it."""

from __future__ import annotations

from pricing_graph.api.loaders import Loaders
from pricing_graph.services.actor import Actor
from pricing_graph.services.unit_of_work import Database, UnitOfWork


class Context:
    """Built fresh for every request, so loader caches never outlive it. After a write the
    loaders start afresh (nothing read before it is served stale after it)."""

    def __init__(
        self,
        database: Database,
        scopes: frozenset[str] = frozenset(),
        *,
        actor: Actor | None = None,
    ) -> None:
        self.database = database
        self.actor = actor or Actor.from_scopes(scopes)
        self.uow = UnitOfWork(database)
        self._loaders: Loaders | None = None  # built at first use: many requests need none
        self._writes_seen = 0

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None or self.uow.writes != self._writes_seen:
            self._writes_seen = self.uow.writes
            self._loaders = self._new_loaders()
        return self._loaders

    def _new_loaders(self) -> Loaders:
        return Loaders(self.uow.read, self.uow.reader, self.database.plans, self.database.usage)

    async def close(self) -> None:
        await self.uow.close()


__all__ = ["Context", "Database"]
