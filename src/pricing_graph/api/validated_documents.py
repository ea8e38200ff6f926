"""Validation results kept per parsed document.

Strawberry's `ValidationCache` keys its LRU cache by (schema, document, rules), and a
graphql-core `DocumentNode` hashes by walking its whole tree: every request hashed its
document again (a comparison's: ~0.08 ms). `ParserCache` hands out one document object per
query text, so this keeps the errors by the document's identity and the rules the request validates
with (the introspection rule depends on the caller): `api/document_memo.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from pricing_graph.api.document_memo import DocumentMemo

# (the document, the rules) -> its errors
VALIDATED: DocumentMemo[list[GraphQLError] | None] = DocumentMemo(256)


class ValidatedDocuments(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        assert document is not None  # validation runs on a parsed document
        rules = tuple(execution.validation_rules)
        errors = VALIDATED.get(document, rules, None)
        if errors is None:
            errors = validate_document(execution.schema._schema, document, rules)
            VALIDATED.keep(document, rules, errors)
        execution.pre_execution_errors = errors
        yield
