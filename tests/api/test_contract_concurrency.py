"""Idempotency keys, expectedRevision and the overlap check under truly concurrent requests.

Each request gets its own `Context` over the same `Database`, so each write runs on its own
pooled connection and transaction, as two HTTP requests would. PostgreSQL only: SQLite
serialises every writer on one database lock, so nothing here could race there.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.api.test_contracts import (
    AMEND_CONTRACT,
    CREATE_CONTRACT,
    END_CONTRACT,
    create_contract,
    full_contract,
    row_counts,
    seed,
    simple_contract,
)

from pricing_graph.api.context import Context
from pricing_graph.api.schema import schema
from pricing_graph.services.actor import SYSTEM


@pytest.fixture
def pg(database: Any) -> Any:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("concurrency needs PostgreSQL: SQLite serialises all writers")
    return database


async def _gather(database: Any, requests: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Run the requests at once, each with its own context (its own connection)."""
    results = await asyncio.gather(
        *(
            schema.execute(
                document,
                variable_values={"input": given},
                context_value=Context(database, actor=SYSTEM),
            )
            for document, given in requests
        )
    )
    for result in results:
        assert result.errors is None, [e.formatted for e in result.errors]
    return [next(iter(result.data.values())) for result in results]


async def test_same_idempotency_key_at_once_creates_one_contract(pg: Any) -> None:
    ids = await seed(pg)
    given = {**full_contract(ids), "idempotencyKey": "create-acme"}

    first, second = await _gather(pg, [(CREATE_CONTRACT, given), (CREATE_CONTRACT, given)])

    assert first["errors"] == second["errors"] == []
    assert first["contract"] == second["contract"]
    counts = await row_counts(pg)
    assert (counts["contract"], counts["contract_amendment"], counts["idempotency_key"]) == (
        1,
        1,
        1,
    )
    assert counts["contract_adjustment"] == len(given["adjustments"])


@pytest.mark.parametrize("attempt", range(3))
async def test_same_key_at_once_repeatedly(pg: Any, attempt: int) -> None:
    """Five identical keyed requests at once: one contract, five identical answers."""
    ids = await seed(pg)
    given = {**simple_contract(ids), "idempotencyKey": f"create-{attempt}"}

    payloads = await _gather(pg, [(CREATE_CONTRACT, given)] * 5)

    assert [p["errors"] for p in payloads] == [[]] * 5
    assert len({p["contract"]["id"] for p in payloads}) == 1
    counts = await row_counts(pg)
    assert (counts["contract"], counts["idempotency_key"]) == (1, 1)


async def test_concurrent_amendments_of_one_revision(pg: Any) -> None:
    ids = await seed(pg)
    contract = await create_contract(pg, simple_contract(ids))
    before = await row_counts(pg)
    requests = [
        (
            AMEND_CONTRACT,
            {
                "contractId": contract["id"],
                "expectedRevision": 1,
                "grantCredits": [{"key": f"grant-{n}", "amount": "10"}],
            },
        )
        for n in range(5)
    ]

    payloads = await _gather(pg, requests)

    succeeded = [p for p in payloads if not p["errors"]]
    refused = [p for p in payloads if p["errors"]]
    assert len(succeeded) == 1
    assert succeeded[0]["contract"]["revision"] == 2
    assert [[(e["code"], e["field"]) for e in p["errors"]] for p in refused] == [
        [("CONFLICT", "input.expectedRevision")]
    ] * 4
    assert all(p["contract"] is None for p in refused)
    after = await row_counts(pg)
    assert {t: after[t] - before[t] for t in after if after[t] != before[t]} == {
        "contract_amendment": 1,
        "contract_credit_grant": 1,
        "audit_event": 1,  # the winner's only: a refused amendment records nothing
    }


async def test_concurrent_overlapping_contracts(pg: Any) -> None:
    ids = await seed(pg)
    requests = [
        (CREATE_CONTRACT, simple_contract(ids, idempotencyKey="a")),
        (CREATE_CONTRACT, simple_contract(ids, startDate="2025-06-01", idempotencyKey="b")),
    ]

    payloads = await _gather(pg, requests)

    codes = sorted([(e["code"], e["field"]) for e in p["errors"]] for p in payloads)
    assert codes == [[], [("OVERLAPPING_CONTRACT", "input.startDate")]]
    assert (await row_counts(pg))["contract"] == 1


async def test_concurrent_end_and_create_cannot_overlap(pg: Any) -> None:
    """Extending one contract while the next one is created: one of them is refused."""
    ids = await seed(pg)
    first = await create_contract(pg, simple_contract(ids, endDate="2025-06-01"))
    requests = [
        (END_CONTRACT, {"contractId": first["id"], "endDate": "2025-12-01", "expectedRevision": 1}),
        (CREATE_CONTRACT, simple_contract(ids, startDate="2025-09-01")),
    ]

    ended, created = await _gather(pg, requests)

    codes = sorted(e["code"] for p in (ended, created) for e in p["errors"])
    assert codes == ["OVERLAPPING_CONTRACT"]
    assert (await row_counts(pg))["contract"] == (2 if created["contract"] else 1)
