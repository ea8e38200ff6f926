"""The public read cache: answers to anonymous queries, kept as the bytes that were sent.

An answer is keyed by the document's SHA-256 (the same for a query sent as text and as a
persisted hash), the operation name, the variables, the catalog version read from the
database for this request, and the UTC day (a quote without a start date starts this
month). A hit is written out as is: no parsing, validation or execution. Only answers
without errors are kept; the cache is a bounded LRU (entries and bytes).

The ETag is derived from the key, so a client (or a CDN) revalidating with
`If-None-Match` gets 304 as long as the catalog version (and the day) is unchanged, even
when this process has forgotten the answer. docs/caching.md.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

# Per entry, beyond its key and body: the OrderedDict slot, the tuple, the bytes headers.
ENTRY_OVERHEAD_BYTES = 200


@dataclass(frozen=True, slots=True)
class CacheKey:
    digest: str  # hex SHA-256 of everything the answer depends on
    etag: str  # the quoted entity tag


def cache_key(
    document_digest: str,
    operation_name: str | None,
    variables: Any,
    version: int,
    day: str,
) -> CacheKey:
    material = orjson.dumps(
        [document_digest, operation_name, variables, version, day],
        option=orjson.OPT_SORT_KEYS,
    )
    digest = hashlib.sha256(material).hexdigest()
    return CacheKey(digest, f'"{version}-{digest[:32]}"')


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of `If-None-Match` (a list of tags) with `etag`."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag.removeprefix("W/") == wanted:
            return True
    return False


def public_headers(
    etag: str, max_age: int, stale_while_revalidate: int
) -> list[tuple[bytes, bytes]]:
    """What a cacheable public answer carries. `Vary: Authorization`: a shared cache must
    not answer a caller with a key from a public entry (RFC 9111 lets it, for `public`)."""
    return [
        (
            b"cache-control",
            f"public, max-age={max_age}, stale-while-revalidate={stale_while_revalidate}".encode(),
        ),
        (b"etag", etag.encode()),
        (b"vary", b"Authorization"),
    ]


PRIVATE_HEADERS = [(b"cache-control", b"private, no-store")]
NO_STORE_HEADERS = [(b"cache-control", b"no-store")]


class PublicCache:
    """Answers by key, least recently used forgotten first; at most `max_entries` and about
    `max_bytes` (bodies, keys and a fixed overhead). Either bound at 0: nothing is kept."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> bytes | None:
        body = self._entries.get(key)
        if body is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return body

    def put(self, key: str, body: bytes) -> None:
        size = _size(key, body)
        if not self.enabled or size > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= _size(key, old)
        self._entries[key] = body
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            gone, gone_body = self._entries.popitem(last=False)
            self.bytes -= _size(gone, gone_body)

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0


def _size(key: str, body: bytes) -> int:
    return len(key) + len(body) + ENTRY_OVERHEAD_BYTES
