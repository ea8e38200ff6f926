"""`ValidatedDocuments` (api/validated_documents.py): a parsed document is validated once
per set of rules, and every request gets its errors."""

from __future__ import annotations

from typing import Any

import pytest

from pricing_graph.api import validated_documents
from pricing_graph.api.context import Context
from pricing_graph.api.schema import schema
from pricing_graph.services.actor import SYSTEM

INVALID = "{ plans { nodes { nosuchfield } } }"


async def test_a_document_is_validated_once_and_its_errors_served_each_time(
    database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    validate = validated_documents.validate_document

    def counted(*args: Any) -> Any:
        calls.append(1)
        return validate(*args)

    monkeypatch.setattr(validated_documents, "validate_document", counted)
    validated_documents.VALIDATED.clear()
    messages = []
    for _ in range(3):
        result = await schema.execute(INVALID, context_value=Context(database, actor=SYSTEM))
        assert result.data is None
        messages.append([error.message for error in result.errors or []])
    assert messages == [["Cannot query field 'nosuchfield' on type 'Plan'."]] * 3
    assert len(calls) == 1
    valid = await schema.execute("{ __typename }", context_value=Context(database, actor=SYSTEM))
    assert (valid.data, valid.errors) == ({"__typename": "Query"}, None)
    assert len(calls) == 2  # another document, validated once too
