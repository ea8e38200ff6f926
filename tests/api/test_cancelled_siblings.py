"""A failing non-null field makes graphql-core cancel its sibling resolvers. They share
DataLoader batch futures with resolvers elsewhere in the query; cancelling one awaiter must
not cancel the batch (before the fix: a CancelledError escaped and the answer was a 500)."""

from __future__ import annotations

from pathlib import Path

from pricing_graph.api.context import Context, Database
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
