"""The pricing page over HTTP, through uvicorn, against `{ __typename }` and a Node peer.

    .venv/bin/python benchmarks/pricing_page.py [--seconds 4] [--rounds 3]

The frontend contract's PricingPage (frontend-contract/pricing-page, product
`llm-platform`, en_US), POSTed as an anonymous caller to real `pricing-graph serve`
processes on 127.0.0.1 over a migrated SQLite file seeded with the demo:

- `page`: the page with the public read cache on (warm: every request but the first is a
  hit), and `floor`: `{ __typename }` on the same server;
- `cold`: the page with the cache off (PRICING_GRAPH_PUBLIC_CACHE_ENTRIES=0: every request
  parses, validates, executes and reads the database), and `{ __typename }` there;
- `2 workers`: `serve --workers 2`, the floor and the page at one connection (issue 10:
  never slower than one worker);
- `node`: graphql-js 16 + graphql-http on Node, executing the same document over the same
  answer held in memory (our schema's SDL, a field resolver that reads the response key),
  so it sends the same bytes (checked). It needs `node` and `npm` on PATH and installs the
  two packages into a scratch folder under /tmp (never into this repository); without
  them it is skipped with a message.

Load: `wrk` (one thread, one keep-alive connection) when installed, else a Python client
doing the same (one connection, one request at a time). The targets alternate, `--rounds`
rounds of `--seconds` each; the medians are printed, with the load average. Last line:
`page_rps floor_rps node_rps` and the ratios. Issue 10's targets: page >= 60% of the floor
and >= 1x Node; cold >= 4x the 45-65 req/s measured before the issue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx

from pricing_graph.demo.seed import seed_demo
from pricing_graph.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = (ROOT / "frontend-contract" / "pricing-page" / "PricingPage.graphql").read_text()
PAGE = json.dumps(
    {"query": DOCUMENT, "variables": {"productKey": "llm-platform", "locale": "en_US"}}
).encode()
FLOOR = json.dumps({"query": "{ __typename }"}).encode()
NODE_FOLDER = Path(tempfile.gettempdir()) / "pricing-graph-node-peer"
NODE_PACKAGES = ("graphql@16", "graphql-http@1")
NODE_SERVER = r"""
const http = require("http");
const fs = require("fs");
const { buildSchema, execute } = require("graphql");
const { createHandler } = require("graphql-http/lib/use/http");
const [sdlPath, dataPath, port] = process.argv.slice(2);
const schema = buildSchema(fs.readFileSync(sdlPath, "utf8"));
const rootValue = JSON.parse(fs.readFileSync(dataPath, "utf8"));
// The answer is the data: each field reads its response key from its parent's answer.
const fieldResolver = (source, _args, _context, info) => source[info.path.key];
const typeResolver = (value) => value.__typename;
const handler = createHandler({
  schema,
  rootValue,
  execute: (args) => execute({ ...args, fieldResolver, typeResolver }),
});
http
  .createServer((req, res) => {
    if (req.url.startsWith("/graphql")) handler(req, res);
    else res.writeHead(404).end();
  })
  .listen(Number(port), "127.0.0.1");
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, process: subprocess.Popen[bytes], probe: bytes) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            answer = httpx.post(
                f"{base}/graphql",
                content=probe,
                headers={"content-type": "application/json"},
                timeout=2,
            )
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{base} did not start")
        time.sleep(0.1)


@contextmanager
def started(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, FLOOR)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(url: str, workers: int = 1, **env: str) -> AbstractContextManager[str]:
    port = free_port()
    environment = {
        **os.environ,
        "PRICING_GRAPH_DATABASE_URL": url,
        "PRICING_GRAPH_LOG_LEVEL": "warning",
        "PRICING_GRAPH_RATE_LIMIT_PER_SECOND": "0",
        "PRICING_GRAPH_TRUSTED_DOCUMENTS_DIR": str(ROOT / "frontend-contract"),
        **env,
    }
    command = [sys.executable, "-m", "pricing_graph.cli", "serve", "--port", str(port)]
    return started([*command, "--workers", str(workers)], environment, port)


def node_peer(answer: bytes, folder: Path) -> AbstractContextManager[str] | str:
    """The Node peer's context manager, or why it is skipped."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "node or npm not on PATH"
    NODE_FOLDER.mkdir(exist_ok=True)
    if not (NODE_FOLDER / "node_modules" / "graphql-http").exists():
        installing = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", *NODE_PACKAGES],
            cwd=NODE_FOLDER,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if installing.returncode != 0:
            return f"npm install failed: {installing.stderr.strip()[-300:]}"
    (NODE_FOLDER / "server.js").write_text(NODE_SERVER)
    data = folder / "answer.json"
    data.write_bytes(json.dumps(json.loads(answer)["data"]).encode())
    port = free_port()
    command = [node, str(NODE_FOLDER / "server.js"), str(ROOT / "schema.graphql"), str(data)]
    return started([*command, str(port)], {**os.environ, "NODE_ENV": "production"}, port)


class Load:
    """Requests a second at one keep-alive connection: wrk, else a Python client."""

    def __init__(self, seconds: float, folder: Path) -> None:
        self.seconds = seconds
        self.folder = folder
        self.wrk = shutil.which("wrk")

    @property
    def name(self) -> str:
        return "wrk -t1 -c1" if self.wrk else "a Python client (wrk not installed), 1 connection"

    def rps(self, base: str, body: bytes) -> tuple[float, float]:
        """(requests a second, median latency in ms)."""
        if self.wrk:
            return self._wrk(base, body)
        return self._python(base, body)

    def _wrk(self, base: str, body: bytes) -> tuple[float, float]:
        script = self.folder / "post.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(body.decode())}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        duration = f"{max(1, round(self.seconds))}s"
        command = [self.wrk or "wrk", "-t1", "-c1", "-d", duration, "--latency", "-s", str(script)]
        output = subprocess.run(
            [*command, f"{base}/graphql"], capture_output=True, text=True, check=True
        ).stdout
        if "Non-2xx" in output:
            raise RuntimeError(output)
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
        p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        latency = float(p50.group(1)) * scale[p50.group(2)] if p50 else float("nan")
        return rps, latency

    def _python(self, base: str, body: bytes) -> tuple[float, float]:
        host, port = base.removeprefix("http://").split(":")
        request = (
            b"POST /graphql HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        times: list[float] = []
        with socket.create_connection((host, int(port))) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            stream = sock.makefile("rb")
            end = time.perf_counter() + self.seconds
            while (now := time.perf_counter()) < end:
                sock.sendall(request)
                status = stream.readline()
                if b" 200 " not in status:
                    raise RuntimeError(status.decode())
                length, chunked = 0, False
                while (line := stream.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                    elif name.lower() == b"transfer-encoding":
                        chunked = b"chunked" in value.lower()
                if chunked:  # size lines, each chunk and its CRLF, until the empty chunk
                    while (size := int(stream.readline().split(b";")[0], 16)) > 0:
                        stream.read(size + 2)
                    stream.readline()
                else:
                    stream.read(length)
                times.append(time.perf_counter() - now)
        return len(times) / sum(times), statistics.median(times) * 1000


def answer_of(base: str, body: bytes) -> bytes:
    response = httpx.post(
        f"{base}/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200 and b'"errors"' not in response.content, response.text
    return response.content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per target and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as directory, ExitStack() as stack:
        folder = Path(directory)
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        upgrade(url)
        asyncio.run(seed_demo(url))
        load = Load(args.seconds, folder)
        warm = stack.enter_context(serve(url))
        cold = stack.enter_context(serve(url, PRICING_GRAPH_PUBLIC_CACHE_ENTRIES="0"))
        two = stack.enter_context(serve(url, workers=2))
        answer = answer_of(warm, PAGE)
        assert answer_of(cold, PAGE) == answer
        targets: dict[str, tuple[str, bytes]] = {
            "page (warm)": (warm, PAGE),
            "floor": (warm, FLOOR),
            "page (cold)": (cold, PAGE),
            "floor (cache off)": (cold, FLOOR),
            "floor, 2 workers": (two, FLOOR),
            "page (warm), 2 workers": (two, PAGE),
        }
        peer = node_peer(answer, folder)
        if isinstance(peer, str):
            print(f"node peer skipped: {peer}")
        else:
            node = stack.enter_context(peer)
            same = answer_of(node, PAGE)
            print(
                f"node peer: graphql-js 16 + graphql-http; same bytes: {same == answer}"
                f" (same JSON: {json.loads(same) == json.loads(answer)})"
            )
            targets["node"] = (node, PAGE)
        print(
            f"PricingPage {len(answer)} bytes; load: {load.name}; {args.rounds} rounds of "
            f"{args.seconds:g} s per target, alternating; load average before "
            f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
        )
        for base, body in targets.values():  # warm-up: the cache, the pools, the JIT
            load.seconds, seconds = 0.5, load.seconds
            load.rps(base, body)
            load.seconds = seconds
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (base, body) in targets.items():
                figures[name].append(load.rps(base, body))
    rps = {name: statistics.median(r for r, _ in runs) for name, runs in figures.items()}
    for name, runs in figures.items():
        p50 = statistics.median(latency for _, latency in runs)
        every = " ".join(f"{r:.0f}" for r, _ in runs)
        print(f"  {name:<24} {rps[name]:>8.0f} req/s (runs: {every})  p50 {p50:.2f} ms")
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    page, floor, cold_page = rps["page (warm)"], rps["floor"], rps["page (cold)"]
    node_rps = rps.get("node")
    print(
        f"2 workers / 1 worker at one connection: floor "
        f"{rps['floor, 2 workers'] / floor:.2f}x, page "
        f"{rps['page (warm), 2 workers'] / page:.2f}x"
    )
    node_text = f"{node_rps:.0f}" if node_rps else "-"
    versus_node = (
        f"page/node {page / node_rps:.2f}x  cold/node {cold_page / node_rps:.2f}x  "
        if node_rps
        else ""
    )
    print(
        f"page_rps floor_rps node_rps: {page:.0f} {floor:.0f} {node_text}  "
        f"page/floor {page / floor:.2f}  {versus_node}cold {cold_page:.0f} req/s"
    )


if __name__ == "__main__":
    main()
