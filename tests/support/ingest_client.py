"""An HTTP client of the whole ASGI app with an admin key, over a database holding the
customer `acme` and the metric `tokens` (SUM of the `tokens` property, by `model`): what
the bulk endpoint's tests send their batches through."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from pricing_graph.app import create_app
from pricing_graph.services import keys
from pricing_graph.services.actor import Role
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.settings import Settings
from pricing_graph.store.catalog import MetricRow
from pricing_graph.store.contracts import CustomerRow


@asynccontextmanager
async def ingest_client(
    database: Any, database_url: str, usage_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with database.sessions() as session, session.begin():
        session.add(CustomerRow(external_id="acme", name="Acme"))
        session.add(
            MetricRow(
                key="tokens",
                name="Tokens",
                unit_label="tokens",
                aggregation="SUM",
                event_property="tokens",
                dimensions=["model"],
            )
        )
    uow = UnitOfWork(database)
    _, secret = await keys.create_key(uow, Role.ADMIN, name="ingest tests")
    await uow.close()
    app = create_app(Settings(database_url=database_url, usage_url=usage_url))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {secret}"},  # the endpoint needs a key
        ) as http,
    ):
        yield http


def bulk_event(event_id: str, **changes: Any) -> dict[str, Any]:
    """One event of the bulk wire format for `acme`'s `tokens` (1,500 of them, model
    gpt-4, 2026-01-05 10:00 UTC), with `changes` applied."""
    event: dict[str, Any] = {
        "eventId": event_id,
        "customerId": "acme",
        "metricKey": "tokens",
        "timestamp": "2026-01-05T10:00:00Z",
        "value": "1500",
        "dimensions": [{"name": "model", "value": "gpt-4"}],
    }
    event.update(changes)
    return event
