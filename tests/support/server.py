"""Run `pricing-graph serve` (uvicorn) as a real process on 127.0.0.1 and a free port, its
output kept for the test (a traceback or "Exception in ASGI application" there is a 500 the
client may not see)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    pid: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def logged_server(database_url: str, *extra: str, **env: str) -> Iterator[Server]:
    """Serve `database_url`; `extra` are `serve` options, `env` adds PRICING_GRAPH_* variables."""
    port = free_port()
    environment = {
        **os.environ,
        "PRICING_GRAPH_DATABASE_URL": database_url,
        "PRICING_GRAPH_LOG_LEVEL": "warning",
        **env,
    }
    with tempfile.TemporaryDirectory() as directory:
        log_path = Path(directory) / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "pricing_graph.cli", "serve", "--port", str(port), *extra],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start:\n{log_path.read_text()}")
                time.sleep(0.1)
            yield Server(base, process.pid, log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def running_server(database_url: str, *extra: str) -> Iterator[str]:
    """The server's base URL, for tests that need nothing else of it."""
    with logged_server(database_url, *extra) as server:
        yield server.base


def rss_kib(pid: int) -> int:
    """The process's resident set size (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")
