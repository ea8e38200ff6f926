"""The abusive requests of issue 9 against a real `pricing-graph serve` process: how long
each takes to be refused and how much the server's memory grows meanwhile.

    .venv/bin/python benchmarks/limits.py [--backend sqlite|postgres|both]

For each backend (SQLite in a temporary file; PostgreSQL in a scratch database on
127.0.0.1:5432, skipped when unreachable) it migrates, seeds the demo, starts the server on a
free port with the default limits (an admin key so every request reaches its target), warms
it up, then sends each request once over a raw socket and prints the status, the code, the
time to the answer, and the growth of the server's resident memory (VmRSS, and of its peak
VmHWM) read from /proc/<pid>/status. Target: every refusal under 100 ms and under 20 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx
from _scratch import scratch_database

from pricing_graph.demo.seed import seed_demo
from pricing_graph.store.migrate import upgrade

ADMIN_KEY = "bench-limits-admin"
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Abuse:
    name: str
    path: str
    body: Callable[[dict[str, str]], bytes]


def _graphql(query: str, variables: dict[str, object] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def _cycle() -> str:
    """customer -> contracts -> customer -> ... in about 700 bytes."""
    step = "contracts { nodes { customer { "
    depth = 0
    query = '{ customer(externalId: "acme-corp") { '
    while len(query) + len(step) + 2 * depth < 680:
        query += step
        depth += 1
    return query + "name" + " } } }" * depth + " } }"


ABUSES = [
    Abuse(
        "comparePlans(periods: 2147483647)",
        "/graphql",
        lambda ids: _graphql(
            f'{{ comparePlans(productId: "{ids["product"]}", usage: [], periods: 2147483647) '
            "{ plans { total } errors { code } } }"
        ),
    ),
    Abuse(
        "invoicePreview(periodIndex: 95000)",
        "/graphql",
        lambda ids: _graphql(
            f'{{ contract(id: "{ids["contract"]}") {{ invoicePreview(periodIndex: 95000) '
            "{ total } } }"
        ),
    ),
    Abuse(
        "100 aliases of invoicePreview(periodIndex: 95000)",
        "/graphql",
        lambda ids: _graphql(
            f'{{ contract(id: "{ids["contract"]}") {{ '
            + " ".join(f"p{i}: invoicePreview(periodIndex: 95000) {{ total }}" for i in range(100))
            + " } }"
        ),
    ),
    Abuse("customer->contracts cycle (700 bytes)", "/graphql", lambda ids: _graphql(_cycle())),
    Abuse(
        "1,000 aliases of quote(periods: 120)",
        "/graphql",
        lambda ids: _graphql(
            "{ "
            + " ".join(
                f'q{i}: quote(input: {{planId: "{ids["plan"]}", startDate: "2026-01-01", '
                "periods: 120, usage: []}) { quote { total } }"
                for i in range(1000)
            )
            + " }"
        ),
    ),
    Abuse(
        "a 10 MB body",
        "/graphql",
        lambda ids: _graphql("{ __typename }", {"padding": "x" * (10 * MB)}),
    ),
    Abuse(
        "a 100 MB string argument",
        "/graphql",
        lambda ids: _graphql(
            "query($key: String!) { product(key: $key) { id } }", {"key": "x" * (100 * MB)}
        ),
    ),
    Abuse(
        "5 MB of event properties (bulk endpoint)",
        "/v1/usage/events",
        lambda ids: json.dumps(
            {
                "events": [
                    {
                        "eventId": f"bench-big-{time.time_ns()}",
                        "customerId": "acme-corp",
                        "metricKey": "input_tokens",
                        "timestamp": "2026-01-05T10:00:00Z",
                        "value": "1",
                        "properties": {"blob": "x" * (5 * MB)},
                    }
                ]
            }
        ).encode(),
    ),
    Abuse(
        "fragment bomb (2^40 fields)",
        "/graphql",
        lambda ids: _graphql(
            "query { ...F0 } "
            + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
            + " fragment F40 on Query { products { totalCount } }"
        ),
    ),
    Abuse(
        "1,200 repeated selections (4,800 tokens)",
        "/graphql",
        lambda ids: _graphql("{ " + "products { totalCount } " * 1200 + "}"),
    ),
]


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of the process, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def _send(port: int, path: str, body: bytes) -> tuple[int, bytes, float]:
    """POST over a raw socket, sending the body while watching for an early answer (a 413
    comes before the body is read). Returns the status, the answer's body and the seconds
    from the first byte sent to the last byte of the answer."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {ADMIN_KEY}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=600) as connection:
        started = time.perf_counter()
        connection.sendall(head)
        view = memoryview(body)
        sent = 0
        while sent < len(body):
            readable, _, _ = select.select([connection], [], [], 0)
            if readable:
                break
            try:
                sent += connection.send(view[sent : sent + 256 * 1024])
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
        header, _, rest = answer.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in header.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            None,
        )
        while length is not None and len(rest) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            rest += chunk
        elapsed = time.perf_counter() - started
    status = int(header.split(b" ", 2)[1]) if header else 0
    return status, rest, elapsed


def _code(status: int, body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return body[:40].decode(errors="replace")
    errors = answer.get("errors") or []
    for error in errors:
        code = error.get("code") or (error.get("extensions") or {}).get("code")
        if code:
            return str(code)
    if "accepted" in answer:
        return f"accepted {answer['accepted']}"
    return "data" if answer.get("data") else "-"


@contextmanager
def _server(database_url: str) -> Iterator[tuple[int, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {
        **os.environ,
        "PRICING_GRAPH_DATABASE_URL": database_url,
        "PRICING_GRAPH_LOG_LEVEL": "warning",
        "PRICING_GRAPH_API_KEYS": f"{ADMIN_KEY}:admin",
        "PRICING_GRAPH_RATE_LIMIT_PER_SECOND": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "pricing_graph.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ids(port: int) -> dict[str, str]:
    query = """{
      customer(externalId: "acme-corp") { contracts { nodes { id endDate } } }
      product(key: "llm-platform") { id plans { nodes { id key } } }
    }"""
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    data = response.json()["data"]
    contract = next(c for c in data["customer"]["contracts"]["nodes"] if c["endDate"] is None)
    plan = next(p for p in data["product"]["plans"]["nodes"] if p["key"] == "llm-pro")
    return {"contract": contract["id"], "product": data["product"]["id"], "plan": plan["id"]}


def _warm_up(port: int, ids: dict[str, str]) -> None:
    for _ in range(3):
        for abuse in ABUSES[:5]:
            _send(port, abuse.path, abuse.body(ids))
        httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ products { nodes { key plans { nodes { key } } } } }"},
        )


def run(label: str, database_url: str) -> None:
    upgrade(database_url)
    asyncio.run(seed_demo(database_url))
    with _server(database_url) as (port, pid):
        ids = _ids(port)
        _warm_up(port, ids)
        print(f"\n{label}: server pid {pid}, {_status(pid)['VmRSS'] / 1024:.0f} MB resident")
        print(
            f"{'request':<50} {'status':>6} {'code':<24} {'ms':>8} {'RSS +MB':>8} {'peak +MB':>9}"
        )
        for abuse in ABUSES:
            body = abuse.body(ids)
            before = _status(pid)
            status, answer, elapsed = _send(port, abuse.path, body)
            del body
            time.sleep(0.2)
            after = _status(pid)
            rss = (after["VmRSS"] - before["VmRSS"]) / 1024
            peak = (after["VmHWM"] - before["VmHWM"]) / 1024
            print(
                f"{abuse.name:<50} {status:>6} {_code(status, answer):<24} "
                f"{elapsed * 1000:>8.1f} {rss:>8.1f} {peak:>9.1f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            run("SQLite", f"sqlite+aiosqlite:///{directory}/bench.db")
    if args.backend in ("postgres", "both"):
        with scratch_database("limits") as scratch:
            if scratch is not None:
                run("PostgreSQL", scratch.url)


if __name__ == "__main__":
    main()
