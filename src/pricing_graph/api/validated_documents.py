"""Validation results kept per parsed document.

Strawberry's `ValidationCache` keys its LRU cache by (schema, document, rules), and a
graphql-core `DocumentNode` hashes by walking its whole tree: every request hashed its
document again (a comparison's: ~0.08 ms). `ParserCache` hands out one document object per
query text, so this keeps the errors by the document's identity (each entry holds its
document, so the id is not reused while kept) and the rules the request validates with
(the introspection rule depends on the caller).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

SIZE = 256

# (id of the document, rules) -> (the document, its errors)
_VALIDATED: OrderedDict[tuple[int, Any], tuple[DocumentNode, list[GraphQLError]]] = OrderedDict()


class ValidatedDocuments(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        assert document is not None  # validation runs on a parsed document
        rules = tuple(execution.validation_rules)
        key = (id(document), rules)
        kept = _VALIDATED.get(key)
        if kept is not None and kept[0] is document:
            _VALIDATED.move_to_end(key)
            errors = kept[1]
        else:
            errors = validate_document(execution.schema._schema, document, rules)
            _VALIDATED[key] = (document, errors)
            while len(_VALIDATED) > SIZE:
                _VALIDATED.popitem(last=False)
        execution.pre_execution_errors = errors
        yield
