"""uvicorn's HTTP protocol, with TCP_NODELAY set on every accepted connection.

asyncio sets TCP_NODELAY on an accepted socket only when the listening socket says its
protocol is IPPROTO_TCP (`asyncio.base_events._set_nodelay`). One uvicorn worker listens on
a socket made by `loop.create_server(host, port)`, which says so; with `--workers N`
uvicorn binds the shared socket itself as `socket.socket(family)`, whose protocol reads 0,
so every accepted connection keeps Nagle's algorithm: a keep-alive response written in two
parts (head, body) waits for the client's delayed ACK, about 40 ms (issue 10). Setting the
option per connection here covers every process model; `serve` always uses this class.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uvicorn.protocols.http.h11_impl import H11Protocol as _AutoHTTPProtocol
else:  # httptools when installed, else h11: uvicorn's own choice for `--http auto`
    from uvicorn.protocols.http.auto import AutoHTTPProtocol as _AutoHTTPProtocol

TCP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


class NoDelayHTTPProtocol(_AutoHTTPProtocol):
    """uvicorn's `auto` HTTP protocol; TCP_NODELAY on before the first byte is read."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in TCP_FAMILIES:
        with contextlib.suppress(OSError):  # the peer is already gone: nothing to send to
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
