"""Run operations against the schema the way the HTTP app does, one context per call."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.services.actor import SYSTEM


async def execute(database: Database, query: str, **variables: Any) -> dict[str, Any]:
    """Execute and return `data`; fail loudly with the errors if there are any."""
    result = await schema.execute(
        query, variable_values=variables, context_value=Context(database, actor=SYSTEM)
    )
    assert result.errors is None, [e.formatted for e in result.errors]
    assert result.data is not None
    return result.data


async def execute_raw(database: Database, query: str, **variables: Any) -> Any:
    return await schema.execute(
        query, variable_values=variables, context_value=Context(database, actor=SYSTEM)
    )


class StatementCounter:
    """Counts SQL statements the engine sends while active."""

    def __init__(self, database: Database) -> None:
        self.engine = database.engine.sync_engine
        self.statements: list[str] = []
        # A ClickHouse usage store's statements count too (its client counts them).
        self._clickhouse = getattr(getattr(database, "usage", None), "client", None)
        self._clickhouse_before = 0
        self.clickhouse = 0

    def _count(self, *args: Any) -> None:
        self.statements.append(args[2])

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        if self._clickhouse is not None:
            self._clickhouse_before = self._clickhouse.queries
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)
        if self._clickhouse is not None:
            self.clickhouse = self._clickhouse.queries - self._clickhouse_before

    @property
    def count(self) -> int:
        return len(self.statements) + self.clickhouse
