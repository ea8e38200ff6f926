"""What the request log and the metrics (http/ops.py) learn from a GraphQL request: the
operation's name, the error codes of its answer, and the usage counts of `ingestUsage`;
and OpenTelemetry tracing, when it is asked for (`with_tracing`)."""

from __future__ import annotations

import copy
import importlib.util
import os
from collections.abc import Iterator, Mapping
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError, Lexer, Source, TokenKind

OTEL_MISSING = (
    "PRICING_GRAPH_OTEL=true needs the OpenTelemetry packages: pip install 'pricing-graph[otel]'"
)


def tracing_available() -> bool:
    """Whether the `otel` extra is installed."""
    try:
        return all(
            importlib.util.find_spec(name) is not None
            for name in ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http")
        )
    except ModuleNotFoundError:  # find_spec imports the parent package of a dotted name
        return False


def with_tracing(schema: strawberry.Schema) -> strawberry.Schema:
    """`schema` with Strawberry's OpenTelemetryExtension first: a span per operation (and
    its parse, validate and resolvers). Unless the process already set a tracer provider,
    spans go over OTLP/HTTP as the standard variables say (OTEL_EXPORTER_OTLP_ENDPOINT,
    default http://localhost:4318; OTEL_SERVICE_NAME, default pricing-graph)."""
    if not tracing_available():
        raise RuntimeError(OTEL_MISSING)
    from opentelemetry import trace  # type: ignore[import-not-found,unused-ignore]
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[import-not-found,unused-ignore]
        OTLPSpanExporter,
    )
    from opentelemetry.sdk.resources import Resource  # type: ignore[import-not-found,unused-ignore]
    from opentelemetry.sdk.trace import TracerProvider  # type: ignore[import-not-found,unused-ignore]
    from opentelemetry.sdk.trace.export import (  # type: ignore[import-not-found,unused-ignore]
        BatchSpanProcessor,
    )
    from strawberry.extensions.tracing import OpenTelemetryExtension

    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        name = os.environ.get("OTEL_SERVICE_NAME", "pricing-graph")
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
    traced = copy.copy(schema)
    traced.extensions = (OpenTelemetryExtension, *schema.extensions)
    return traced


OPERATION_KEYWORDS = frozenset({"query", "mutation", "subscription"})
# Masked by PublicErrors (api/errors.py): an exception nobody expected.
UNEXPECTED_MESSAGE = "Unexpected error."
UNEXPECTED_CODE = "UNEXPECTED_ERROR"
UNCODED = "UNCODED"  # a GraphQL error without extensions.code (e.g. a validation error)


def operation_name(query: object, given: str | None) -> str | None:
    """The name Strawberry runs the request under: `operationName` when given, else the
    name of the document's first operation (None: anonymous). Only the document's head is
    read (a lexer, stopping at the first operation), so it costs next to nothing."""
    if given:
        return given
    if not isinstance(query, str):
        return None
    lexer = Lexer(Source(query))
    depth = 0
    in_fragment = False  # between `fragment` and the end of its selection set
    try:
        token = lexer.advance()
        while token.kind is not TokenKind.EOF:
            if token.kind is TokenKind.BRACE_L:
                if depth == 0 and not in_fragment:
                    return None  # `{ ... }`: the anonymous shorthand comes first
                depth += 1
            elif token.kind is TokenKind.BRACE_R:
                depth -= 1
                in_fragment = in_fragment and depth > 0
            elif depth == 0 and token.kind is TokenKind.NAME and not in_fragment:
                if token.value == "fragment":
                    in_fragment = True
                elif token.value in OPERATION_KEYWORDS:
                    following = lexer.advance()
                    return following.value if following.kind is TokenKind.NAME else None
            token = lexer.advance()
    except GraphQLSyntaxError:
        return None
    return None


def answer_codes(errors: list[GraphQLError] | None, data: Mapping[str, Any] | None) -> list[str]:
    """Every error code of an answer: its `errors` (extensions.code) and the typed errors of
    its root payloads (`{createContract: {errors: [{code}]}}`), in order."""
    codes = [_code(error) for error in errors or ()]
    codes.extend(_payload_codes(data))
    return codes


def _code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    return UNEXPECTED_CODE if error.message == UNEXPECTED_MESSAGE else UNCODED


def _payload_codes(data: Mapping[str, Any] | None) -> Iterator[str]:
    for value in (data or {}).values():
        found = value.get("errors") if isinstance(value, dict) else None
        if isinstance(found, list):
            for item in found:
                code = item.get("code") if isinstance(item, dict) else None
                if isinstance(code, str):
                    yield code


def ingest_counts(data: Mapping[str, Any] | None) -> dict[str, int]:
    """`ingestUsage`'s counts as the client selected them (accepted, duplicates, rejected)."""
    payload = (data or {}).get("ingestUsage")
    if not isinstance(payload, dict):
        return {}
    return {
        name: value
        for name in ("accepted", "duplicates", "rejected")
        if isinstance(value := payload.get(name), int)
    }
