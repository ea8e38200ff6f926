"""A /graphql JSON body is parsed once per request, whoever calls (the anonymous path in
front reads it first and hands its value on), and a body that is not a request is still
refused with 400."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from pricing_graph.app import create_app
from pricing_graph.demo.seed import seed_demo
from pricing_graph.settings import Settings

ADMIN_KEY = "body-test-admin-key"
PRICING_PAGE = (
    Path(__file__).parents[2] / "frontend-contract" / "pricing-page" / "PricingPage.graphql"
).read_text()
QUERY = '{ product(key: "none") { key } }'


@asynccontextmanager
async def client(url: str, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=url,
        api_keys={ADMIN_KEY: frozenset({"admin"})},
        rate_limit_per_second=0,
        **changes,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield http


@pytest.mark.parametrize("cache_entries", [1000, 0])
@pytest.mark.parametrize("key", [None, ADMIN_KEY])
async def test_the_body_is_parsed_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch, key: str | None, cache_entries: int
) -> None:
    body = json.dumps({"query": QUERY}).encode()
    parsed: list[bytes] = []
    loads = orjson.loads

    def counting(data: Any) -> Any:
        if data == body:
            parsed.append(data)
        return loads(data)

    async with client(database_url, public_cache_entries=cache_entries) as http:
        monkeypatch.setattr(orjson, "loads", counting)
        headers = {"content-type": "application/json"}
        if key:
            headers["authorization"] = f"Bearer {key}"
        response = await http.post("/graphql", content=body, headers=headers)
        monkeypatch.undo()
    assert response.status_code == 200
    assert response.json() == {"data": {"product": None}}
    assert len(parsed) == 1


@pytest.mark.parametrize("key", [None, ADMIN_KEY])
async def test_a_body_that_is_not_a_request_is_refused(database_url: str, key: str | None) -> None:
    async with client(database_url) as http:
        headers = {"content-type": "application/json"}
        if key:
            headers["authorization"] = f"Bearer {key}"
        for body in (b"42", b"null", b'"text"', b"{not json"):
            response = await http.post("/graphql", content=body, headers=headers)
            assert response.status_code == 400, (body, response.text)


@pytest.mark.parametrize("locale", ["en_US", "de_DE"])
async def test_answers_are_the_bytes_json_dumps_writes(database_url: str, locale: str) -> None:
    """orjson writes them when the answer is ASCII (en_US), json.dumps otherwise (de_DE's
    "€" and non-breaking spaces, which json.dumps escapes)."""
    await seed_demo(database_url)
    body = {"query": PRICING_PAGE, "variables": {"productKey": "llm-platform", "locale": locale}}
    async with client(database_url, public_cache_entries=0) as http:
        response = await http.post("/graphql", json=body)
    assert response.status_code == 200
    answer = json.loads(response.content)
    assert response.content == json.dumps(answer, separators=(",", ":")).encode()
    assert response.content.isascii()
    price = answer["data"]["product"]["plans"]["nodes"][1]["ramps"][0]["prices"][0]
    assert (
        price["displayPrice"]
        == {
            "en_US": "$0.001 per 1K tokens",
            "de_DE": "0,001\xa0$ per 1K tokens",
        }[locale]
    )
