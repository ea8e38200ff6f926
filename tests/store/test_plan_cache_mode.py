"""PostgreSQL connections never switch the usage aggregation to a generic plan (issue 11:
from a prepared statement's 6th execution the server may, and for a big customer that plan
reads a million events by index, 5-8 times slower; docs/usage.md, "Stable plans")."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pricing_graph.store.engine import make_engine


@pytest.mark.postgres
async def test_every_connection_forces_custom_plans(pg_database_url: str) -> None:
    engine = make_engine(pg_database_url)
    try:
        async with engine.connect() as connection:
            shown = (await connection.execute(text("SHOW plan_cache_mode"))).scalar()
    finally:
        await engine.dispose()
    assert shown == "force_custom_plan"
