"""schema.graphql is what the code serves; `make schema` re-exports it."""

from __future__ import annotations

from pathlib import Path

from pricing_graph.api.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    exported = schema.as_str() + "\n"
    assert SCHEMA_FILE.read_text() == exported, "schema.graphql is stale: run `make schema`"
