"""The public read cache: PricingPage uncached next to cached, in process.

    .venv/bin/python benchmarks/public_cache.py

The frontend contract's PricingPage (frontend-contract/pricing-page, product `llm-platform`,
en_US) as an anonymous caller, through the whole ASGI application (middleware, guards,
GraphQL view) with httpx.ASGITransport, over a migrated SQLite file seeded with the demo,
and on PostgreSQL too when 127.0.0.1:5432 is reachable. Two applications on one database:
one with the cache off (PRICING_GRAPH_PUBLIC_CACHE_ENTRIES=0: every request parses,
validates and executes), one with it on (every request but the first is a hit: one
statement for the catalog version, then the kept bytes). Requests alternate between the
two, 200 each after a warm-up, so both see the same machine; medians and the ratio are
printed, with the load average before and after. Also: a 304 revalidation
(If-None-Match), and a persisted-query hit (only the hash sent).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx
from _scratch import scratch_database

from pricing_graph.app import create_app
from pricing_graph.demo.seed import seed_demo
from pricing_graph.settings import Settings
from pricing_graph.store.migrate import upgrade

REQUESTS = 200
WARMUP = 20
ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = (ROOT / "frontend-contract" / "pricing-page" / "PricingPage.graphql").read_text()
VARIABLES = {"productKey": "llm-platform", "locale": "en_US"}
DIGEST = hashlib.sha256(DOCUMENT.encode()).hexdigest()


async def client(stack: AsyncExitStack, url: str, **changes: Any) -> httpx.AsyncClient:
    settings = Settings(
        database_url=url,
        rate_limit_per_second=0,
        trusted_documents_dir=str(ROOT / "frontend-contract"),
        **changes,
    )
    app = create_app(settings)
    await stack.enter_async_context(app.router.lifespan_context(app))
    return await stack.enter_async_context(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    )


async def measure(
    cases: dict[str, Callable[[], Awaitable[httpx.Response]]],
) -> dict[str, float]:
    """Milliseconds per request (median), the cases interleaved request by request."""
    for _ in range(WARMUP):
        for send in cases.values():
            response = await send()
            assert response.status_code in (200, 304), response.text
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(REQUESTS):
        for name, send in cases.items():
            started = time.perf_counter()
            response = await send()
            times[name].append(time.perf_counter() - started)
            assert response.status_code in (200, 304)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


async def run(backend: str, url: str) -> None:
    async with AsyncExitStack() as stack:
        uncached = await client(stack, url, public_cache_entries=0)
        cached = await client(stack, url)
        body = {"query": DOCUMENT, "variables": VARIABLES}
        first = await cached.post("/graphql", json=body)
        etag = first.headers["etag"]
        assert (await uncached.post("/graphql", json=body)).content == first.content
        hashed = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": DIGEST}}}
        medians = await measure(
            {
                "uncached": lambda: uncached.post("/graphql", json=body),
                "cached": lambda: cached.post("/graphql", json=body),
                "304": lambda: cached.post("/graphql", json=body, headers={"If-None-Match": etag}),
                "apq hit": lambda: cached.post("/graphql", json={**hashed, "variables": VARIABLES}),
            }
        )
    ratio = medians["uncached"] / medians["cached"]
    figures = "  ".join(f"{name} {value:.2f} ms" for name, value in medians.items())
    print(
        f"{backend:<10} PricingPage ({len(first.content)} bytes): {figures}  "
        f"uncached/cached {ratio:.1f}x"
    )


def main() -> None:
    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    print(f"{REQUESTS} requests per case, medians, cases interleaved")
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/bench.db"
        upgrade(url)
        asyncio.run(seed_demo(url))
        asyncio.run(run("sqlite", url))
    with scratch_database("public_cache") as scratch:
        if scratch is not None:
            asyncio.run(seed_demo(scratch.url))
            asyncio.run(run("postgresql", scratch.url))
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")


if __name__ == "__main__":
    main()
