"""`pricing-graph serve --workers N` sets TCP_NODELAY on every accepted connection
(http/nodelay.py; issue 10: uvicorn's shared multi-worker socket lost it, and each
keep-alive answer then waited about 40 ms for the client's delayed ACK).

The server's own end of each connection is read, not the client's: the worker's file
descriptor is duplicated into this process with pidfd_getfd(2) (Linux 5.6; the workers are
this process's descendants) and asked with getsockopt."""

from __future__ import annotations

import ctypes
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.server import logged_server

PIDFD_GETFD = 438  # the same number on every Linux architecture (a post-4.20 system call)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def _descendants(pid: int) -> list[int]:
    found = [pid]
    for parent in found:
        path = Path(f"/proc/{parent}/task/{parent}/children")
        if path.exists():
            found.extend(int(child) for child in path.read_text().split())
    return found


def _inode(server_port: int, client_port: int) -> int:
    """The inode of the server's end of the connection from `client_port`."""
    local = f"0100007F:{server_port:04X}"
    remote = f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return int(fields[9])
    raise AssertionError(f"no server socket for the connection from port {client_port}")


def _server_end(pids: list[int], inode: int) -> tuple[int, int]:
    """(pid, fd) of the process holding the socket `inode`."""
    target = f"socket:[{inode}]"
    for pid in pids:
        for entry in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(entry) == target:
                    return pid, int(entry.name)
            except OSError:  # closed meanwhile
                continue
    raise AssertionError(f"no process among {pids} holds {target}")


def _nodelay_of(pid: int, fd: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        copy = libc.syscall(PIDFD_GETFD, pidfd, fd, 0)
        if copy < 0:
            pytest.skip(f"pidfd_getfd refused: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(pidfd)
    with socket.socket(fileno=copy) as sock:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "serve.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite+aiosqlite:///{path}"


@pytest.mark.parametrize("workers", [1, 2])
def test_every_accepted_connection_has_tcp_nodelay(sqlite_url: str, workers: int) -> None:
    with logged_server(sqlite_url, "--workers", str(workers)) as server:
        port = int(server.base.rsplit(":", 1)[1])
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(8)]
        try:
            holders: set[int] = set()
            for connection in connections:
                # A whole keep-alive exchange: the connection is accepted and answered.
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
                assert connection.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
                inode = _inode(port, connection.getsockname()[1])
                pid, fd = _server_end(_descendants(server.pid), inode)
                holders.add(pid)
                assert _nodelay_of(pid, fd) == 1, (pid, fd)
            assert server.pid not in holders or workers == 1  # workers answer, not the parent
        finally:
            for connection in connections:
                connection.close()
