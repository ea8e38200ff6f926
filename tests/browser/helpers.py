"""Shared by the browser tests and their fixtures (conftest.py)."""

from __future__ import annotations

import asyncio
import html
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from tests.support.server import free_port

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end in a thread of its own: Playwright's sync API keeps an
    event loop running in the test's thread once the browser is up."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another site</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E">
<script src="{script}" defer></script></head>
<body><h1>Our pricing</h1>
<pricing-table product="{product}" start-date="2026-01-01" usage="{usage}"></pricing-table>
</body></html>"""


class _HostPage(BaseHTTPRequestHandler):
    """`/?api=http://127.0.0.1:PORT&product=...&usage=...`: a page that embeds the table
    from the API server named by `api`."""

    def do_GET(self) -> None:
        query = {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}
        body = HOST_PAGE.format(
            script=html.escape(f"{query.get('api', '')}/embed/pricing-table.js"),
            product=html.escape(query.get("product", "")),
            usage=html.escape(query.get("usage", "")),
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class HostSite:
    """Another site on this machine: `allowed` is the origin the API's CORS allowlist names,
    `other` the same server under another origin (127.0.0.1 instead of localhost).

    Both are loopback: Chromium refuses requests from a public page to a loopback server
    (Private Network Access), and the API under test listens on 127.0.0.1."""

    port: int

    @property
    def allowed(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def other(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def host_site() -> Iterator[HostSite]:
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _HostPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HostSite(port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
