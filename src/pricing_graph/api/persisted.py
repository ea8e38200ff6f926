"""Persisted documents: Apollo's automatic persisted queries (APQ) and trusted documents.

A client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": <hex>}` with no
`query` (over POST, or over GET as `?extensions=...` so a CDN can cache it):

- a hash this server knows runs its document;
- an unknown hash answers Apollo's `PersistedQueryNotFound` (HTTP 200, `errors[0].message`
  "PersistedQueryNotFound", `extensions.code` "PERSISTED_QUERY_NOT_FOUND"); the client then
  sends the query with its hash, which registers it: the hash must be the SHA-256 of the
  query text (else 400 `PERSISTED_QUERY_HASH_MISMATCH`) and the document must parse, pass
  the request limits (api/limits.py) and validate before it is kept.

Trusted documents are known from the start: every `*/*.graphql` file under
PRICING_GRAPH_TRUSTED_DOCUMENTS_DIR (the frontend contract), by the SHA-256 of the file's
text and of its canonical print. With PRICING_GRAPH_TRUSTED_DOCUMENTS_ONLY=true they are
the only documents an anonymous caller may send (anything else: 400
`DOCUMENT_NOT_TRUSTED`); callers with a key may still send any document. Registered
documents are bounded in number (PRICING_GRAPH_PERSISTED_QUERIES_MAX, least recently used
forgotten first; 0: no registration, unknown hashes answer `PersistedQueryNotSupported`)
and in size (`MAX_REGISTERED_BYTES`), so registration cannot exhaust memory.
docs/caching.md.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationType, parse, print_ast, validate
from graphql.utilities import get_operation_ast

from pricing_graph.api.limits import QueryLimits, document_refusal
from pricing_graph.services.actor import Role
from pricing_graph.settings import Settings

log = logging.getLogger("pricing_graph.api")

APQ_VERSION = 1
# A document longer than this runs, but is not kept (the frontend contract's are 1-4 KB).
MAX_REGISTERED_BYTES = 64 * 1024
_HASH = re.compile(r"[0-9a-fA-F]{64}")


class PersistedCode(StrEnum):
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    PERSISTED_QUERY_INVALID = "PERSISTED_QUERY_INVALID"
    DOCUMENT_NOT_TRUSTED = "DOCUMENT_NOT_TRUSTED"


@dataclass(frozen=True, slots=True)
class PersistedRefusal:
    """An answer instead of an execution: the HTTP status and one GraphQL error."""

    status: int
    code: PersistedCode
    message: str
    field: str | None = None

    def body(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": self.code.value}
        if self.field is not None:
            extensions["field"] = self.field
        return {"errors": [{"message": self.message, "extensions": extensions}]}


# Apollo's exact shapes: its clients look for these messages (HTTP 200, as Apollo Server).
NOT_FOUND = PersistedRefusal(200, PersistedCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
NOT_SUPPORTED = PersistedRefusal(
    200, PersistedCode.PERSISTED_QUERY_NOT_SUPPORTED, "PersistedQueryNotSupported"
)
HASH_FIELD = "extensions.persistedQuery.sha256Hash"
HASH_MISMATCH = PersistedRefusal(
    400,
    PersistedCode.PERSISTED_QUERY_HASH_MISMATCH,
    "the sha256Hash is not the SHA-256 of the query text sent with it: hash the exact text "
    "(UTF-8) and send its lowercase hex digest",
    HASH_FIELD,
)
NOT_TRUSTED = PersistedRefusal(
    400,
    PersistedCode.DOCUMENT_NOT_TRUSTED,
    "this server runs only its trusted documents (the frontend contract) for callers without "
    "an API key: send one of them (or its sha256Hash in extensions.persistedQuery), or call "
    "with `Authorization: Bearer <key>`",
    "query",
)


def invalid(message: str, field: str = "extensions.persistedQuery") -> PersistedRefusal:
    return PersistedRefusal(400, PersistedCode.PERSISTED_QUERY_INVALID, message, field)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Resolved:
    """The document a request runs: its text (None: the request sent none) and its
    SHA-256 (None when no text)."""

    query: str | None
    digest: str | None
    trusted: bool = False


def load_trusted(directory: str | Path) -> dict[str, str]:
    """`{sha256: text}` of every `*/*.graphql` file under `directory` (none if it is
    missing), each under the hash of the file's text and of its canonical print (what
    graphql-js's `print` gives, which Apollo's clients hash), that text being the print."""
    root = Path(directory)
    if not str(directory) or not root.is_dir():
        return {}
    documents: dict[str, str] = {}
    for path in sorted(root.glob("*/*.graphql")):
        text = path.read_text(encoding="utf-8")
        documents[sha256_hex(text)] = text
        try:
            printed = print_ast(parse(text))
        except GraphQLError:
            log.warning("trusted document %s does not parse; only its text is trusted", path)
            continue
        documents.setdefault(sha256_hex(printed), printed)
    return documents


class Documents:
    """The trusted documents and the registered ones, and the APQ protocol over them."""

    def __init__(
        self,
        schema: GraphQLSchema,
        settings: Settings,
        trusted: Mapping[str, str] | None = None,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.trusted = dict(
            load_trusted(settings.trusted_documents_dir) if trusted is None else trusted
        )
        self.trusted_only = settings.trusted_documents_only
        self.max_registered = settings.persisted_queries_max
        self.registered: OrderedDict[str, str] = OrderedDict()
        self._operations: OrderedDict[tuple[str, str | None], bool] = OrderedDict()
        if self.trusted_only and not self.trusted:
            log.warning(
                "PRICING_GRAPH_TRUSTED_DOCUMENTS_ONLY is on but %r holds no *.graphql "
                "documents: anonymous callers can run nothing",
                settings.trusted_documents_dir,
            )

    def resolve(
        self, query: Any, extensions: Any, *, anonymous: bool
    ) -> Resolved | PersistedRefusal:
        """The document the request runs, or the answer that replaces running it."""
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is None:
            if not isinstance(query, str):
                return Resolved(None, None)  # Strawberry answers the missing or odd query
            digest = sha256_hex(query)
            trusted = digest in self.trusted
            if anonymous and self.trusted_only and not trusted:
                return NOT_TRUSTED
            return Resolved(query, digest, trusted)
        if not isinstance(persisted, dict) or persisted.get("version") != APQ_VERSION:
            return invalid(
                'extensions.persistedQuery must be {"version": 1, "sha256Hash": <hex>} '
                "(Apollo's automatic persisted queries, version 1)"
            )
        given = persisted.get("sha256Hash")
        if not isinstance(given, str) or not _HASH.fullmatch(given):
            return invalid("sha256Hash must be 64 hexadecimal digits", HASH_FIELD)
        digest = given.lower()
        if query is None:
            return self._lookup(digest, anonymous=anonymous)
        if not isinstance(query, str):
            return Resolved(None, None)
        if sha256_hex(query) != digest:
            return HASH_MISMATCH
        if digest in self.trusted:
            return Resolved(query, digest, True)
        if anonymous and self.trusted_only:
            return NOT_TRUSTED
        self._register(digest, query)
        return Resolved(query, digest)

    def _lookup(self, digest: str, *, anonymous: bool) -> Resolved | PersistedRefusal:
        text = self.trusted.get(digest)
        if text is not None:
            return Resolved(text, digest, True)
        if anonymous and self.trusted_only:
            return NOT_TRUSTED
        text = self.registered.get(digest)
        if text is not None:
            self.registered.move_to_end(digest)
            return Resolved(text, digest)
        return NOT_FOUND if self.max_registered > 0 else NOT_SUPPORTED

    def _register(self, digest: str, query: str) -> None:
        """Keep `query` under `digest` when it parses, passes the limits and validates; a
        document that does not is run anyway (and refused there with its error)."""
        if self.max_registered <= 0 or len(query.encode("utf-8")) > MAX_REGISTERED_BYTES:
            return
        if digest in self.registered:
            self.registered.move_to_end(digest)
            return
        limits = QueryLimits.of(self.settings, Role.ANONYMOUS)
        try:
            document = parse(query, max_tokens=limits.max_tokens)
            if document_refusal(self.schema, document, limits) is not None:
                return
            if validate(self.schema, document):
                return
        except (GraphQLError, RecursionError):
            return
        self.registered[digest] = query
        while len(self.registered) > self.max_registered:
            self.registered.popitem(last=False)

    def is_query(self, resolved: Resolved, operation_name: str | None) -> bool:
        """Whether the operation the request runs is a query (not a mutation or a
        subscription); remembered per document and name (bounded)."""
        if resolved.query is None or resolved.digest is None:
            return False
        key = (resolved.digest, operation_name)
        known = self._operations.get(key)
        if known is None:
            try:
                operation = get_operation_ast(parse(resolved.query), operation_name)
            except GraphQLError:
                return False
            known = operation is not None and operation.operation is OperationType.QUERY
            self._operations[key] = known
            while len(self._operations) > 1024:
                self._operations.popitem(last=False)
        return known
