"""GraphiQL served from the package (src/pricing_graph/web/static/graphiql, vendored from the
npm releases of graphiql, react and react-dom): it loads with no request leaving the server
and opens on the README's pricing-page query.

Browser side only, so SQLite only (see conftest.py).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from tests.browser.helpers import run_async
from tests.support.server import Server

from pricing_graph import web
from pricing_graph.app import create_app
from pricing_graph.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
VENDORED = Path(web.__file__).parent / "static" / "graphiql"


def test_graphiql_loads_offline_on_the_readme_query(demo_server: Server, page: Any) -> None:
    from playwright.sync_api import expect

    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(f"{demo_server.base}/graphql")
    assert response.status == 200
    csp = response.headers["content-security-policy"]
    assert "https:" not in csp and "unpkg" not in csp and "script-src 'self' 'sha256-" in csp

    editor = page.locator(".graphiql-query-editor .CodeMirror")
    expect(editor).to_contain_text('product(key: "llm-platform")')
    shown = page.evaluate(
        "() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
    )
    assert shown.strip() == web.DEFAULT_QUERY.strip()

    page.locator(".graphiql-execute-button").click()
    result = page.locator(".result-window")
    expect(result).to_contain_text('"name": "Neural Language Engine"')
    expect(result).to_contain_text("$0.002 per 1K tokens, first 10K tokens free")

    host = urlsplit(demo_server.base).netloc
    assert requests, "no request recorded"
    elsewhere = [url for url in requests if urlsplit(url).netloc != host]
    assert elsewhere == [], f"requests left {host}: {elsewhere}"
    assert f"{demo_server.base}/static/graphiql/graphiql.min.js" in requests


def test_the_default_query_is_the_readmes_pricing_page_query() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```graphql\n(.*?)```", readme, flags=re.DOTALL)
    assert blocks and blocks[0] == web.DEFAULT_QUERY


def test_the_vendored_files_are_the_releases_with_their_licenses(demo_server: Server) -> None:
    """static/graphiql/README.md lists each file's sha256 and its npm release."""
    listed = dict(
        (name, digest)
        for digest, name in re.findall(
            r"^([0-9a-f]{64})  (\S+)$", (VENDORED / "README.md").read_text(), flags=re.M
        )
    )
    assert set(listed) == {
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    }
    for name, digest in listed.items():
        served = httpx.get(f"{demo_server.base}/static/graphiql/{name}")
        assert served.status_code == 200, name
        assert hashlib.sha256(served.content).hexdigest() == digest, name
    for package in ("graphiql", "react", "react-dom"):
        license_text = httpx.get(f"{demo_server.base}/static/graphiql/LICENSE.{package}").text
        assert license_text.startswith("MIT License"), package
    assert f"graphiql@{web.GRAPHIQL_VERSION}" in (VENDORED / "README.md").read_text()
    assert f"react@{web.REACT_VERSION}" in (VENDORED / "README.md").read_text()


def test_production_serves_neither_graphiql_nor_its_files(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}", env="production"
    )

    async def get(*paths: str) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return [await http.get(path, headers={"Accept": "text/html"}) for path in paths]

    page, asset, table = run_async(
        get("/graphql", "/static/graphiql/graphiql.min.js", "/embed/pricing-table.js")
    )
    assert (page.status_code, asset.status_code) == (404, 404)
    # The pricing table is for the public pricing page: served in production too.
    assert table.status_code == 200
    assert table.headers["access-control-allow-origin"] == "*"
    assert table.headers["content-type"].startswith("text/javascript")
