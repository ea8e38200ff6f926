"""One seeded database shared by a test module's refusal cases.

A refusal case asserts that its refused write changed no row count, so the cases of a module
can share one database (per backend) seeded once, instead of each taking a fresh database and
seeding it: the suite's slowest files spent most of their time seeding the same rows again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from pricing_graph.services.unit_of_work import Database
from pricing_graph.settings import Settings

T = TypeVar("T")


@asynccontextmanager
async def database_at(url: str) -> AsyncIterator[Database]:
    """A Database on `url` (usage in the same database), disposed afterwards."""
    database = Database.connect(Settings(database_url=url))
    try:
        yield database
    finally:
        await database.dispose()


def seed_once(url: str, seeder: Callable[[Database], Awaitable[T]]) -> T:
    """Run `seeder` on the database at `url` in an event loop of its own (for a
    module-scoped fixture) and return what it returns (the ids the cases need)."""

    async def run() -> T:
        async with database_at(url) as database:
            return await seeder(database)

    return asyncio.run(run())
