"""A real browser against a real server: Playwright for Python driving Debian's chromium
(`apt-get install chromium`; never `playwright install`, which downloads a browser build).

The browser tests check the browser side (the pricing table, GraphiQL), so they run on
SQLite only: one `pricing-graph serve` process on 127.0.0.1 and a free port, on a copy of
the migrated template with the demo catalog seeded, shared by every test here. With
CI=true a missing chromium or Playwright fails the run; elsewhere the tests skip with the
reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from tests.browser.helpers import HostSite, host_site, run_async
from tests.support.server import Server, logged_server

from pricing_graph.demo.seed import seed_demo

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = Path(os.environ.get("PRICING_GRAPH_TEST_CHROMIUM", "/usr/bin/chromium"))
TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"{reason}; CI=true requires it (.ci/run installs both)", pytrace=False)
    pytest.skip(f"{reason}: `apt-get install chromium` and `pip install -e '.[dev]'`")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: Playwright's sync API runs an event loop on this thread while it is
    started, so it must be stopped before the rest of the suite calls asyncio.run."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as missing:
        _unavailable(f"Playwright for Python is not installed ({missing})")
    if not CHROMIUM.exists():
        _unavailable(f"no chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def another_site() -> Iterator[HostSite]:
    with host_site() as site:
        yield site


@pytest.fixture(scope="session")
def demo_server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, another_site: HostSite
) -> Iterator[Server]:
    """`pricing-graph serve` on the seeded demo catalog; CORS allows `another_site.allowed`."""
    path = tmp_path_factory.mktemp("browser") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    run_async(seed_demo(url))
    with logged_server(url, PRICING_GRAPH_CORS_ORIGINS=another_site.allowed) as server:
        yield server
        log = server.log()
    assert "Traceback" not in log, log


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"
