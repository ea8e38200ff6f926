"""The embeddable pricing table (`/embed/pricing-table.js`) in a real browser, on the demo
page `/pricing/{productKey}` and embedded in a page of another origin.

Browser side only, so SQLite only (see conftest.py). The expected figures are worked out by
hand from the demo catalog (src/pricing_graph/demo/catalog.py), per month:

- Developer: (input tokens / 1K - 10 free) x $0.002 + output tokens / 1K x $0.006
- Pro: input / 1K x $0.001 + output / 1K x $0.003 + fine-tuning hours x $3.00
- Enterprise: $2,000.00 + input / 1K x $0.0008 + output / 1K x $0.0024 + hours x $3.00

5M input tokens: Pro 5,000 x 0.001 = $5.00 (x 12 = $60.00), Developer 4,990 x 0.002 = $9.98,
Enterprise $2,004.00. Then 2M output tokens too: Pro 5.00 + 2,000 x 0.003 = $11.00 ($132.00
over 12 months), Developer 9.98 + 12.00 = $21.98 ($263.76), Enterprise $2,008.80.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from graphql import parse, print_ast
from tests.browser.helpers import HostSite
from tests.support.server import Server

from pricing_graph import web

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "frontend-contract" / "pricing-page"
SCRIPT = Path(web.__file__).parent / "pricing-table.js"
START = "start-date=2026-01-01"


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _api(server: Server, document: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{server.base}/graphql", json={"query": document, "variables": variables}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


def _display_prices(server: Server, locale: str, plan_key: str) -> list[str]:
    document = (CONTRACT / "PricingPage.graphql").read_text()
    data = _api(server, document, productKey="llm-platform", locale=locale)["data"]
    (plan,) = [p for p in data["product"]["plans"]["nodes"] if p["key"] == plan_key]
    return [price["displayPrice"] for ramp in plan["ramps"] for price in ramp["prices"]]


def _cards(page: Any, plan_key: str) -> Any:
    return page.locator(f'pricing-table li.card[data-plan="{plan_key}"]')


def test_the_component_sends_the_pricing_page_contract_documents() -> None:
    """What the component sends is frontend-contract/pricing-page, which the contract test
    runs against the demo catalog."""
    script = SCRIPT.read_text()
    for name, constant in (
        ("PricingPage", "PRICING_PAGE"),
        ("PriceCalculator", "PRICE_CALCULATOR"),
    ):
        match = re.search(rf"const {constant} = `(.*?)`;", script, flags=re.DOTALL)
        assert match, constant
        contract = (CONTRACT / f"{name}.graphql").read_text()
        assert print_ast(parse(match.group(1))) == print_ast(parse(contract)), name


def test_demo_page_shows_the_plans_in_tier_order_with_their_prices(
    demo_server: Server, page: Any
) -> None:
    expect = _expect()
    response = page.goto(f"{demo_server.base}/pricing/llm-platform?{START}")
    assert response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "https:" not in csp and "unpkg" not in csp
    assert response.headers["x-frame-options"] == "DENY"

    expect(page.locator("pricing-table h2")).to_have_text("Neural Language Engine")
    expect(page.locator("pricing-table li.card h3")).to_have_text(
        ["Developer", "Pro", "Enterprise"]
    )
    developer = _cards(page, "llm-developer")
    expected = ["$0.002 per 1K tokens, first 10K tokens free", "$0.006 per 1K tokens"]
    assert _display_prices(demo_server, "en_US", "llm-developer") == expected
    expect(developer.locator(".price-display")).to_have_text(expected)
    expect(developer.locator(".features li")).to_have_text(["Community support", "Usage caps"])
    expect(developer.locator(".limits li")).to_have_text(["Model API calls: 100 req/min"])
    enterprise = _cards(page, "llm-enterprise")
    expect(enterprise.locator(".price-display").first).to_have_text("$2,000.00 per month")
    # No usage yet: the fixed fee alone; ties keep the catalog order, so Developer is first.
    expect(page.get_by_role("status")).to_have_text(
        "Cheapest for your usage: Developer, $0.00 over 12 months ($0.00 a month)."
    )
    expect(enterprise.locator(".estimate")).to_contain_text("$2,000.00 a month for your usage")
    expect(enterprise.locator(".estimate .term")).to_have_text("$24,000.00 over 12 months")


def _deep_focus(page: Any) -> dict[str, str]:
    focused: dict[str, str] = page.evaluate(
        """() => {
          let element = document.activeElement;
          while (element && element.shadowRoot && element.shadowRoot.activeElement) {
            element = element.shadowRoot.activeElement;
          }
          const style = getComputedStyle(element);
          const label = element.labels && element.labels[0] ? element.labels[0].textContent : "";
          return {type: element.type || element.tagName, label,
                  outline: `${style.outlineStyle} ${style.outlineWidth}`};
        }"""
    )
    return focused


def test_a_slider_moved_with_the_keyboard_and_a_typed_number_change_the_total(
    demo_server: Server, page: Any
) -> None:
    expect = _expect()
    page.goto(f"{demo_server.base}/pricing/llm-platform?{START}")
    status = page.get_by_role("status")
    expect(status).to_contain_text("Developer, $0.00")
    assert status.get_attribute("aria-live") == "polite"

    # Tab reaches the first slider, which shows a visible focus ring.
    page.keyboard.press("Tab")
    focused = _deep_focus(page)
    assert focused == {
        "type": "range",
        "label": "Input tokens a month (tokens)",
        "outline": "solid 3px",
    }
    # Stops: 0, 1K, 2K, 5K, 10K, ..., 1M, 2M, 5M: twelve steps right is 5,000,000 tokens.
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    slider = page.get_by_label("Input tokens a month (tokens)")
    expect(slider).to_have_attribute("aria-valuetext", "5,000,000 tokens a month")
    expect(page.get_by_label("Input tokens, exact number of tokens")).to_have_value("5000000")
    expect(status).to_have_text(
        "Cheapest for your usage: Pro, $60.00 over 12 months ($5.00 a month)."
    )
    expect(_cards(page, "llm-developer").locator(".estimate .amount")).to_have_text("$9.98")
    expect(_cards(page, "llm-enterprise").locator(".estimate .amount")).to_have_text("$2,004.00")

    page.get_by_label("Output tokens, exact number of tokens").fill("2000000")
    expect(status).to_have_text(
        "Cheapest for your usage: Pro, $132.00 over 12 months ($11.00 a month)."
    )
    pro = _cards(page, "llm-pro")
    expect(pro).to_have_class(re.compile(r"\bcheapest\b"))
    expect(pro.locator(".badge")).to_be_visible()
    expect(_cards(page, "llm-developer").locator(".badge")).to_be_hidden()
    expect(_cards(page, "llm-developer").locator(".estimate .amount")).to_have_text("$21.98")
    expect(_cards(page, "llm-developer").locator(".estimate .term")).to_have_text(
        "$263.76 over 12 months"
    )
    expect(_cards(page, "llm-enterprise").locator(".estimate .amount")).to_have_text("$2,008.80")

    # The chart: Pro's quote, one bar per month, each $11.00.
    chart = page.locator("pricing-table figure")
    expect(chart.locator("figcaption")).to_have_text(
        "Pro: cost per month over 12 months, total $132.00."
    )
    expect(chart.locator("svg rect.bar")).to_have_count(12)
    description = chart.locator("svg desc").text_content()
    assert description == ", ".join(f"Month {n}: $11.00" for n in range(1, 13))


def test_de_DE_formats_prices_and_totals_as_german_text(demo_server: Server, page: Any) -> None:
    expect = _expect()
    page.goto(f"{demo_server.base}/pricing/llm-platform?locale=de-DE&{START}")
    expected = ["0,002\u00a0$ per 1K tokens, first 10K tokens free", "0,006\u00a0$ per 1K tokens"]
    # The API's display text (babel's CLDR formatting), verbatim on the card.
    assert _display_prices(demo_server, "de-DE", "llm-developer") == expected
    prices = _cards(page, "llm-developer").locator(".price-display")
    expect(prices).to_have_count(2)
    assert prices.all_text_contents() == expected
    expect(_cards(page, "llm-enterprise").locator(".price-display").first).to_have_text(
        "2.000,00\u00a0$ per month"
    )

    page.get_by_label("Input tokens, exact number of tokens").fill("5000000")
    page.get_by_label("Output tokens, exact number of tokens").fill("2000000")
    status = page.get_by_role("status")
    expect(status).to_have_text(
        "Cheapest for your usage: Pro, 132,00\u00a0$ over 12 months (11,00\u00a0$ a month)."
    )
    expect(_cards(page, "llm-enterprise").locator(".estimate .term")).to_have_text(
        "24.105,60\u00a0$ over 12 months"
    )


def _open_host_page(page: Any, origin: str, api: str, product: str, usage: str) -> list[Any]:
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))
    page.goto(f"{origin}/?{urlencode({'api': api, 'product': product, 'usage': usage})}")
    return requests


def test_embedded_in_another_origin_allowed_by_cors(
    demo_server: Server, another_site: HostSite, page: Any
) -> None:
    """Cloud Database's Standard plan: 100 CPU-hours a month cost $5.00 + the $49.00 base,
    lifted to the $100.00 invoice minimum for the first 2 months, then to $1,500.00:
    2 x 100 + 10 x 1,500 = $15,200.00, $1,266.67 a month."""
    expect = _expect()
    requests = _open_host_page(
        page, another_site.allowed, demo_server.base, "cloud-database", "cpu_hours=100"
    )
    card = _cards(page, "db-standard")
    expect(card.locator("h3")).to_have_text("Standard")
    expect(card.locator(".ramp-title")).to_have_text(["First 2 months", "From month 3"])
    expect(card.locator(".minimum")).to_have_text(
        ["Minimum invoice $100.00 a month", "Minimum invoice $1,500.00 a month"]
    )
    expect(page.get_by_role("status")).to_have_text(
        "Cheapest for your usage: Standard, $15,200.00 over 12 months ($1,266.67 a month)."
    )
    description = page.locator("pricing-table figure svg desc")
    expect(description).to_contain_text("Month 2: $100.00, Month 3: $1,500.00")
    calls = [r for r in requests if r.url.startswith(f"{demo_server.base}/graphql")]
    operations = {re.search(r"operationName=(\w+)", r.url).group(1) for r in calls}
    assert operations == {
        "PricingPage",
        "PricingTableIds",
        "PriceCalculator",
        "PricingTablePeriods",
    }
    # GET without custom headers: CORS "simple" requests, no preflight, cacheable.
    assert {r.method for r in calls} == {"GET"}


def test_an_origin_outside_the_cors_allowlist_gets_no_prices(
    demo_server: Server, another_site: HostSite, page: Any
) -> None:
    expect = _expect()
    _open_host_page(page, another_site.other, demo_server.base, "cloud-database", "")
    expect(page.get_by_role("alert")).to_contain_text("The prices could not be loaded")
    expect(page.locator("pricing-table li.card")).to_have_count(0)


def test_the_demo_page_escapes_what_it_is_given(demo_server: Server) -> None:
    response = httpx.get(
        f"{demo_server.base}/pricing/%3Cb%3Ex",
        params={"locale": '"><script>alert(1)</script>', "start-date": "2026-01-01"},
    )
    assert response.status_code == 200
    assert "<b>x" not in response.text and "<script>alert" not in response.text
    assert 'product="&lt;b&gt;x"' in response.text
    assert 'locale="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in response.text


def test_an_unknown_product_says_so(demo_server: Server, page: Any) -> None:
    expect = _expect()
    page.goto(f"{demo_server.base}/pricing/no-such-product")
    expect(page.get_by_role("alert")).to_have_text(
        'No public prices for the product "no-such-product".'
    )
