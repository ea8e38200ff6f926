"""What clients generate code from: the SDL (schema.graphql) and Apollo Client's
`possibleTypes` map (frontend-contract/possibleTypes.json), both from the code's schema."""

from __future__ import annotations

import json

import strawberry
from graphql import GraphQLInterfaceType, GraphQLUnionType


def sdl(schema: strawberry.Schema) -> str:
    return schema.as_str() + "\n"


def possible_types(schema: strawberry.Schema) -> dict[str, list[str]]:
    """Every interface and union -> the object types that implement it, sorted (Apollo's
    `possibleTypes` option for `InMemoryCache`)."""
    graphql_schema = schema._schema
    found: dict[str, list[str]] = {}
    for name, kind in sorted(graphql_schema.type_map.items()):
        if name.startswith("__"):
            continue
        if isinstance(kind, GraphQLInterfaceType | GraphQLUnionType):
            implementing = graphql_schema.get_possible_types(kind)
            found[name] = sorted(t.name for t in implementing)
    return found


def possible_types_json(schema: strawberry.Schema) -> str:
    return json.dumps(possible_types(schema), indent=2) + "\n"
