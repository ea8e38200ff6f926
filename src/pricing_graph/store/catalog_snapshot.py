"""Catalog values that change only with the catalog version, kept for the latest version read.

A quote reads its plan's row (the status, the visibility) and default discounts; a plan
comparison the product and its plans. Those can change (archive a plan, publish a version,
set a plan's discounts), so they were read on every request. But every catalog write bumps
the catalog version in its own transaction (store/catalog_version.py), so rows read after
version V was read are those of V or of a later version, never older: kept under V, they
answer every request that reads V, until a write makes it V + 1. A request then reads one
number (store/version_reads.py: microseconds on a SQLite file, one asyncpg round trip on
PostgreSQL) instead of opening the request's session for its rows.

This relies on reads that see the latest commit: each statement on PostgreSQL (READ
COMMITTED), and SQLite outside a write (the driver opens no transaction for a SELECT).
A value is kept only under the newest version seen; a request that read an older one reads
the database as before.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from pricing_graph.store.version_reads import CatalogVersions


class CatalogSnapshot:
    """Values keyed by what was read (`("plan", 7)`), for one catalog version at a time."""

    MAX_VALUES = 10_000  # then everything is forgotten and read again

    def __init__(self) -> None:
        self._version: int | None = None
        self._values: dict[Hashable, Any] = {}
        self._versions: CatalogVersions | None = None

    @property
    def versions(self) -> CatalogVersions | None:
        """The reader the version is read with, once it was."""
        return self._versions

    async def version(self, owner: AsyncEngine) -> int:
        """The committed catalog version of `owner`'s database (a reader of its own, closed
        when `owner` is disposed): one statement, no session."""
        if self._versions is None:
            self._versions = CatalogVersions(owner)
        return await self._versions.current()

    def get(self, version: int, key: Hashable) -> Any | None:
        return self._values.get(key) if version == self._version else None

    def keep(self, version: int, key: Hashable, value: Any) -> None:
        """Keep `value`, read after `version` was read, unless a newer version was seen."""
        if self._version is None or version > self._version:
            self._version = version
            self._values.clear()
        elif version < self._version:
            return
        if len(self._values) >= self.MAX_VALUES:
            self._values.clear()
        self._values[key] = value
