"""A throwaway ClickHouse server for the tests and benchmarks: its own data folder, free
ports, 127.0.0.1 only, never the package's default service.

    python -m tests.support.clickhouse_server /tmp/ch-data   # prints the URL, runs until killed

Debian's package (18.16) installs /usr/sbin/clickhouse-server; newer releases put a
`clickhouse` binary with a `server` subcommand on PATH, which works the same way.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_CONFIG = """<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{root}/server.log</log>
        <errorlog>{root}/server.err.log</errorlog><size>10M</size><count>1</count></logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>{http_port}</http_port>
    <tcp_port>{tcp_port}</tcp_port>
    <path>{root}/data/</path>
    <tmp_path>{root}/tmp/</tmp_path>
    <user_files_path>{root}/user_files/</user_files_path>
    <format_schema_path>{root}/format_schemas/</format_schema_path>
    <users_config>{root}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>268435456</mark_cache_size>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mlock_executable>false</mlock_executable>
</yandex>
"""

_USERS = """<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
    <users><default>
        <password></password>
        <networks><ip>127.0.0.1</ip></networks>
        <profile>default</profile><quota>default</quota>
    </default></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
    </interval></default></quotas>
</yandex>
"""


def server_command() -> list[str] | None:
    """How to start a server on this machine, or None when none is installed."""
    for candidate in ("clickhouse-server", "/usr/sbin/clickhouse-server"):
        found = shutil.which(candidate)
        if found:
            return [found]
    found = shutil.which("clickhouse")
    return [found, "server"] if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass(frozen=True)
class Server:
    url: str  # http://127.0.0.1:port
    pid: int

    @property
    def clickhouse_url(self) -> str:
        """clickhouse://127.0.0.1:port (add /database for PRICING_GRAPH_USAGE_URL)."""
        return self.url.replace("http://", "clickhouse://")

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far (user + system, all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running_server(root: Path, *, timeout: float = 60.0) -> Iterator[Server]:
    """Start a server with its data under `root`; yield it; stop it (and only it)
    afterwards."""
    command = server_command()
    if command is None:
        raise FileNotFoundError("no clickhouse-server binary on this machine")
    root.mkdir(parents=True, exist_ok=True)
    for folder in ("data", "tmp", "user_files", "format_schemas"):
        (root / folder).mkdir(exist_ok=True)
    http_port, tcp_port = _free_port(), _free_port()
    (root / "config.xml").write_text(
        _CONFIG.format(root=root, http_port=http_port, tcp_port=tcp_port)
    )
    (root / "users.xml").write_text(_USERS)
    url = f"http://127.0.0.1:{http_port}"
    with open(root / "stdout.log", "wb") as log:
        process = subprocess.Popen(
            [*command, f"--config-file={root / 'config.xml'}"],
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while not _ready(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (root / "stdout.log").read_text(errors="replace")[-2000:]
                errors = root / "server.err.log"
                if errors.exists():
                    tail += errors.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"clickhouse-server did not start: {tail}")
            time.sleep(0.1)
        yield Server(url, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    """Start a server, print its clickhouse:// URL, stop it on SIGTERM or SIGINT."""
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/pricing-graph-clickhouse")
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # delivered to sigwait, not the default
    with running_server(root.resolve()) as server:
        print(server.clickhouse_url, flush=True)
        signal.sigwait(stop)


if __name__ == "__main__":
    main()
