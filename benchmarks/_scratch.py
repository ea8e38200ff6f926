"""A throwaway PostgreSQL database for a benchmark: created, migrated, dropped after.

The benchmarks import it as `_scratch` (they run as scripts from this folder).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import asyncpg

from pricing_graph.store.migrate import upgrade

HOST = os.environ.get("PRICING_GRAPH_TEST_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("PRICING_GRAPH_TEST_PG_PORT", "5432"))


@dataclass(frozen=True, slots=True)
class Scratch:
    user: str
    name: str

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{self.user}@{HOST}:{PORT}/{self.name}"

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(host=HOST, port=PORT, user=self.user, database=self.name)


async def _admin_user() -> str | None:
    for user in ("postgres", "root"):
        try:
            connection = await asyncpg.connect(
                host=HOST, port=PORT, user=user, database="test", timeout=3
            )
        except Exception:  # any failure: try the next user, then skip
            continue
        await connection.close()
        return user
    return None


async def _admin(user: str, statement: str) -> None:
    connection = await asyncpg.connect(host=HOST, port=PORT, user=user, database="test")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def scratch_database(purpose: str) -> Iterator[Scratch | None]:
    """A migrated, empty database named after `purpose`; None (with a SKIP line printed)
    when PostgreSQL is unreachable."""
    user = asyncio.run(_admin_user())
    if user is None:
        print(f"SKIP: PostgreSQL at {HOST}:{PORT} is unreachable (users postgres, root)")
        yield None
        return
    scratch = Scratch(user, f"pricing_graph_bench_{purpose}_{uuid.uuid4().hex[:10]}")
    asyncio.run(_admin(user, f'CREATE DATABASE "{scratch.name}"'))
    try:
        upgrade(scratch.url)
        yield scratch
    finally:
        asyncio.run(_admin(user, f'DROP DATABASE IF EXISTS "{scratch.name}" WITH (FORCE)'))
