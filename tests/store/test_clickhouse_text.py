"""TabSeparated fields for ClickHouse (store/clickhouse/client.py): the fast checks give
exactly what escaping every character gives. No server: text alone."""

from __future__ import annotations

import orjson
import pytest

from pricing_graph.store.clickhouse.client import ESCAPES, tsv_json, tsv_text, unescape

TEXTS = [
    "",
    "plain-event-1",
    "back\\slash",
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    "nul\0char",
    "all\\\t\n\r\0of them",
    "ünïcödé ✓",
]


@pytest.mark.parametrize("text", TEXTS)
def test_a_text_field_is_escaped_as_translate_escapes_it(text: str) -> None:
    assert tsv_text(text) == text.translate(ESCAPES)
    assert unescape(tsv_text(text)) == text


@pytest.mark.parametrize(
    "value",
    [{}, {"request_id": "r1"}, {"path": "C:\\dir\tx\ny\rz\0"}, {"quote": 'say "hi"\\'}, [1, "é"]],
)
def test_json_text_is_escaped_as_translate_escapes_it(value: object) -> None:
    text = orjson.dumps(value).decode()
    assert tsv_json(text) == text.translate(ESCAPES)
    assert orjson.loads(unescape(tsv_json(text))) == value
