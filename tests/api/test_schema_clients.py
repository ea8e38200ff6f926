"""What client code generators read: frontend-contract/possibleTypes.json (Apollo Client's
`possibleTypes`) matches the schema, and the codegen example maps every custom scalar."""

from __future__ import annotations

import json
import re
from pathlib import Path

from graphql import GraphQLInterfaceType, GraphQLScalarType, GraphQLUnionType, build_schema

from pricing_graph.api.schema import schema
from pricing_graph.api.sdl import possible_types

ROOT = Path(__file__).resolve().parents[2]
POSSIBLE_TYPES = ROOT / "frontend-contract" / "possibleTypes.json"
CODEGEN = ROOT / "frontend-contract" / "codegen.md"
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}
REGENERATE = (
    "run `pricing-graph export-schema --output schema.graphql "
    "--possible-types frontend-contract/possibleTypes.json`"
)


def test_possible_types_file_matches_the_code() -> None:
    assert json.loads(POSSIBLE_TYPES.read_text()) == possible_types(schema), REGENERATE


def test_possible_types_file_matches_schema_graphql() -> None:
    """The committed SDL gives the same map (a client generating from either agrees)."""
    sdl = build_schema((ROOT / "schema.graphql").read_text())
    expected = {
        name: sorted(t.name for t in sdl.get_possible_types(kind))
        for name, kind in sdl.type_map.items()
        if isinstance(kind, GraphQLInterfaceType | GraphQLUnionType) and not name.startswith("__")
    }
    assert json.loads(POSSIBLE_TYPES.read_text()) == expected, REGENERATE


def test_a_price_is_one_of_three_types() -> None:
    found = json.loads(POSSIBLE_TYPES.read_text())
    assert found["Price"] == ["CompositePrice", "FixedPrice", "UsagePrice"]
    assert set(found["Price"]) <= set(found["Node"])


def test_the_codegen_example_maps_every_custom_scalar() -> None:
    sdl = build_schema((ROOT / "schema.graphql").read_text())
    scalars = {
        name
        for name, kind in sdl.type_map.items()
        if isinstance(kind, GraphQLScalarType) and name not in BUILT_IN
    }
    text = CODEGEN.read_text()
    mapped = set(re.findall(r'^[ \t]+(\w+):[ \t]+"?\w+"?,?[ \t]*$', text, re.MULTILINE))
    assert scalars <= mapped, f"codegen.md does not map {sorted(scalars - mapped)}"


def test_export_schema_writes_both_files(tmp_path: Path) -> None:
    from pricing_graph.cli import main

    sdl_file, types_file = tmp_path / "schema.graphql", tmp_path / "possibleTypes.json"
    argv = ["export-schema", "--output", str(sdl_file), "--possible-types", str(types_file)]
    assert main(argv) == 0
    assert sdl_file.read_text() == (ROOT / "schema.graphql").read_text()
    assert types_file.read_text() == POSSIBLE_TYPES.read_text()
