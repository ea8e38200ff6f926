"""A failing non-null field makes graphql-core cancel its sibling resolvers. They share
DataLoader batch futures with resolvers elsewhere in the query; cancelling one awaiter must
not cancel the batch (before the fix: a CancelledError escaped and the answer was a 500)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Sequence
from pathlib import Path

import pytest

from pricing_graph.api.context import Context, Database
from pricing_graph.api.loaders.base import Loader
from pricing_graph.api.schema import schema
from pricing_graph.demo.seed import seed_database
from pricing_graph.services.actor import ANONYMOUS

DOCUMENT = (
    Path(__file__).resolve().parents[2]
    / "frontend-contract"
    / "pricing-page"
    / "PricingPage.graphql"
).read_text()


async def test_an_unknown_locale_is_a_typed_error_not_a_cancelled_batch(
    database: Database,
) -> None:
    await seed_database(database)
    result = await schema.execute(
        DOCUMENT,
        variable_values={"productKey": "llm-platform", "locale": "zz_ZZ"},
        context_value=Context(database, actor=ANONYMOUS),
    )
    assert result.errors is not None
    assert {(e.extensions or {}).get("code") for e in result.errors} == {"INVALID_VALUE"}
    assert {(e.extensions or {}).get("field") for e in result.errors} == {"locale"}
    assert result.data == {"product": None}


async def test_a_batch_failing_after_its_awaiters_were_cancelled_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every awaiter of a load cancelled, then its batch fails (a connection the
    cancellation invalidated): the error is nobody's to report, and asyncio must not log
    it as "Future exception was never retrieved" (the fuzz test's server log saw it)."""

    class Failing(Loader[int, int]):
        def __init__(self) -> None:
            super().__init__(load_fn=self._load)

        async def _load(self, keys: Sequence[int]) -> list[int]:
            await asyncio.sleep(0.01)
            raise RuntimeError("the connection was invalidated")

    loader = Failing()

    async def resolver() -> int:
        return await loader.load(1)

    awaiting = [asyncio.ensure_future(resolver()) for _ in range(2)]
    unawaited = loader.load(2)  # a resolver cancelled before it awaited
    await asyncio.sleep(0)
    for task in awaiting:
        task.cancel()
    await asyncio.sleep(0.05)  # the batch fails
    del awaiting, unawaited
    gc.collect()
    await asyncio.sleep(0)
    assert "never retrieved" not in caplog.text
