"""What the service serves to browsers besides the API: the embeddable pricing table
(`/embed/pricing-table.js`, docs/pricing-table.md), its demo page (`/pricing/{productKey}`)
and GraphiQL from vendored files (`/static/graphiql/`, see static/graphiql/README.md).

Plain files and two small HTML templates; nothing here reads the database or knows
GraphQL: the component and GraphiQL call `/graphql` from the browser like any client.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

WEB_DIR = Path(__file__).parent
GRAPHIQL_DIR = WEB_DIR / "static" / "graphiql"

GRAPHIQL_VERSION = "3.8.3"
REACT_VERSION = "18.3.1"

EMBED_SCRIPT_PATH = "/embed/pricing-table.js"
PRICING_PAGE_PATH = "/pricing/{product_key}"
GRAPHIQL_STATIC_PATH = "/static/graphiql"

# The README's first query: what GraphiQL opens on (tests/browser/test_graphiql.py checks
# that the README still shows it).
DEFAULT_QUERY = """\
{
  product(key: "llm-platform") {
    name
    plans(status: PUBLISHED, visibility: PUBLIC) {
      nodes {
        name
        features
        usageLimits { metric { key } rateLimitDisplay }
        ramps { prices { name displayPrice } }
      }
    }
  }
}
"""

# The demo page's query parameters, passed to <pricing-table> as attributes of these names.
DEMO_ATTRIBUTES = ("locale", "periods", "start-date", "usage", "signup-url")

# Short enough that a new release reaches embedding sites within minutes.
EMBED_HEADERS = {
    "Cache-Control": "public, max-age=300",
    # Any site may load it, also with `integrity=` and `crossorigin` (which need CORS).
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


@cache
def _template(name: str) -> Template:
    return Template((WEB_DIR / name).read_text(encoding="utf-8"))


def graphiql_html() -> str:
    """The GraphiQL page: the vendored scripts and one inline script that only sets the
    default query (the CSP allows it by its hash, http/guards.graphiql_csp)."""
    # JSON is a JavaScript literal; "<" escaped so the text cannot close the script element.
    literal = json.dumps(DEFAULT_QUERY).replace("<", "\\u003c")
    return _template("graphiql.html").substitute(default_query=literal)


async def pricing_table_js(_request: Request) -> Response:
    return FileResponse(
        WEB_DIR / "pricing-table.js", media_type="text/javascript", headers=EMBED_HEADERS
    )


async def demo_css(_request: Request) -> Response:
    return FileResponse(
        WEB_DIR / "demo.css",
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=300"},
    )


async def pricing_page(request: Request) -> Response:
    """A page that shows one product's public plans with <pricing-table>. Query parameters
    (`?locale=de-DE&usage=input_tokens=5000000`) become the element's attributes."""
    product = str(request.path_params["product_key"])
    attributes = {"product": product}
    for name in DEMO_ATTRIBUTES:
        value = request.query_params.get(name)
        if value:
            attributes[name] = value
    rendered = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items())
    script = str(request.url_for("pricing_table_js"))
    snippet = f'<script src="{script}" defer></script>\n<pricing-table {rendered}></pricing-table>'
    locale = attributes.get("locale", "en")
    body = _template("pricing-page.html").substitute(
        lang=html.escape(locale.replace("_", "-")),
        product=html.escape(product),
        attributes=rendered,
        snippet=html.escape(snippet),
    )
    return HTMLResponse(body)


def routes(*, graphiql: bool) -> list[BaseRoute]:
    """The browser-facing routes; the GraphiQL assets only where the GraphiQL page is served."""
    served: list[BaseRoute] = [
        Route(EMBED_SCRIPT_PATH, pricing_table_js, methods=["GET"], name="pricing_table_js"),
        Route("/embed/demo.css", demo_css, methods=["GET"], name="demo_css"),
        Route(PRICING_PAGE_PATH, pricing_page, methods=["GET"], name="pricing_page"),
    ]
    if graphiql:
        served.append(
            Mount(GRAPHIQL_STATIC_PATH, app=StaticFiles(directory=GRAPHIQL_DIR), name="graphiql")
        )
    return served
