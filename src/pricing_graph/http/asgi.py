"""Plain ASGI pieces for answering before (or around) an application: a header's value,
whole answers as bytes or JSON, extra headers on an answer, and a request body read once
and replayed."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import Message, Receive, Scope, Send

JSON_CONTENT_TYPE = (b"content-type", b"application/json")
# The JSON body `graphql_payload` parsed, kept in the scope as (body, value) for the
# application behind it, which then need not parse the same bytes again (`parsed_body`).
PARSED_BODY = "pricing_graph.parsed_body"


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def send_bytes(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    # A 304 has no body and no Content-Length (which would have to be the 200's).
    all_headers = (
        headers if status == 304 else [*headers, (b"content-length", str(len(body)).encode())]
    )
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


async def send_json(
    send: Send, status: int, content: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    await send_bytes(send, status, orjson.dumps(content), [JSON_CONTENT_TYPE, *headers])


def with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *extra]}
        await send(message)

    return sending


async def graphql_payload(scope: Scope, receive: Receive) -> tuple[dict[str, Any] | None, Receive]:
    """The GraphQL request's fields (`query`, `variables`, `operationName`, `extensions`)
    when they read cleanly as JSON, else None (the application then answers as it does), and
    a `receive` that replays the body."""
    if scope["method"] == "GET":
        params = dict(parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1")))
        if "query" not in params and "extensions" not in params:
            return None, receive
        payload: dict[str, Any] = {
            "query": params.get("query"),
            "operationName": params.get("operationName"),
        }
        try:
            for name in ("variables", "extensions"):
                payload[name] = orjson.loads(params[name]) if params.get(name) else None
        except orjson.JSONDecodeError:
            return None, receive
        return payload, receive
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None, replay(b"".join(chunks), message, receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replaying = replay(body, None, receive)
    media_type = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return None, replaying
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None, replaying
    scope[PARSED_BODY] = (body, parsed)
    return (parsed if isinstance(parsed, dict) else None), replaying


def parsed_body(scope: Scope, body: bytes) -> tuple[bool, Any]:
    """(True, the value) when `graphql_payload` parsed these very bytes for this request,
    else (False, None)."""
    kept = scope.get(PARSED_BODY)
    if kept is not None and (kept[0] is body or kept[0] == body):
        return True, kept[1]
    return False, None


def replay(body: bytes, last: Message | None, receive: Receive) -> Receive:
    """The body once, as read (then `last`, a disconnect, if that ended it), then `receive`."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    if last is not None:
        pending.append(last)

    async def replaying() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replaying
