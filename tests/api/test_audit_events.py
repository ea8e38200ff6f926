"""`auditEvents` (issue 9): the audit log for admin keys only, newest first, filtered by
object (objectType, objectId) and by key (keyId), paginated with `first`/`after`, with
typed refusals for bad arguments.
"""

from __future__ import annotations

from typing import Any

from tests.api.test_access_usage import Callers, make_callers, run
from tests.api.test_contracts import seed
from tests.api.test_saved_quotes import APPROVE_QUOTE, CREATE_QUOTE, VOID_QUOTE, for_acme

from pricing_graph.api.context import Database
from pricing_graph.api.ids import encode_id

AUDIT = """
query($first: Int, $after: String, $objectType: String, $objectId: ID, $keyId: Int) {
  auditEvents(first: $first, after: $after, objectType: $objectType, objectId: $objectId,
              keyId: $keyId) {
    nodes {
      number occurredAt keyId caller role operation objectType objectId objectIds input
      cursor
    }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}
"""


async def audit_page(database: Database, callers: Callers, **arguments: Any) -> Any:
    result = await run(database, callers.admin.actor, AUDIT, **arguments)
    assert result.errors is None, [e.formatted for e in result.errors]
    return result.data["auditEvents"]


async def quotes_by_two_keys(database: Database) -> tuple[Callers, list[str]]:
    """Sales creates two quotes and approves the first; admin voids the second."""
    ids = await seed(database)
    callers = await make_callers(database)
    quote_ids = []
    for _ in range(2):
        created = await run(database, callers.sales.actor, CREATE_QUOTE, input=for_acme(ids))
        quote_ids.append(created.data["createQuote"]["savedQuote"]["id"])
    await run(database, callers.sales.actor, APPROVE_QUOTE, id=quote_ids[0])
    voided = await run(database, callers.admin.actor, VOID_QUOTE, id=quote_ids[1], reason="lost")
    assert voided.data["voidQuote"]["errors"] == []
    return callers, quote_ids


def summary(page: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [(n["operation"], n["objectId"], n["role"]) for n in page["nodes"]]


async def test_only_admin_keys_read_the_log(database: Database) -> None:
    callers, _ = await quotes_by_two_keys(database)
    for role in ("anonymous", "partner_a", "partner_env", "sales"):
        result = await run(database, callers.by_name()[role].actor, AUDIT)
        assert result.data is None, role
        assert [(e.extensions["code"], e.path) for e in result.errors or []] == [
            ("FORBIDDEN", ["auditEvents"])
        ], role
    assert (await audit_page(database, callers))["nodes"]


async def test_filter_by_object_and_by_key(database: Database) -> None:
    callers, (first, second) = await quotes_by_two_keys(database)
    sales, admin = callers.sales.actor, callers.admin.actor
    of_first = await audit_page(database, callers, objectId=first)
    assert summary(of_first) == [
        ("approveQuote", first, "sales"),
        ("createQuote", first, "sales"),
    ]
    newest = of_first["nodes"][0]
    assert (newest["keyId"], newest["caller"], newest["objectType"]) == (
        sales.key_id,
        f"key:{sales.key_id}",
        "SavedQuote",
    )
    assert newest["input"] == {"id": first}
    assert newest["objectIds"] == []
    # objectType with a matching global ID, or alone: every saved-quote event.
    assert summary(
        await audit_page(database, callers, objectType="SavedQuote", objectId=second)
    ) == [
        ("voidQuote", second, "admin"),
        ("createQuote", second, "sales"),
    ]
    every_quote = await audit_page(database, callers, objectType="SavedQuote", first=1)
    assert (len(every_quote["nodes"]), every_quote["totalCount"]) == (1, 4)
    # By key: what each key did.
    assert summary(await audit_page(database, callers, keyId=admin.key_id)) == [
        ("voidQuote", second, "admin")
    ]
    by_sales = await audit_page(database, callers, keyId=sales.key_id)
    assert [n["operation"] for n in by_sales["nodes"]] == [
        "approveQuote",
        "createQuote",
        "createQuote",
    ]
    # Both filters at once.
    assert summary(await audit_page(database, callers, keyId=admin.key_id, objectId=first)) == []
    numbers = [n["number"] for n in by_sales["nodes"]]
    assert numbers == sorted(numbers, reverse=True)


async def test_pages_follow_the_cursor(database: Database) -> None:
    callers, _ = await quotes_by_two_keys(database)
    everything = (await audit_page(database, callers, first=100))["nodes"]
    assert len(everything) >= 4 + 4  # the four keys' creation, then the quote writes
    seen = []
    after = None
    while True:
        page = await audit_page(database, callers, first=3, after=after)
        assert len(page["nodes"]) <= 3
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [n["number"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["pageInfo"]["endCursor"] == page["nodes"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    assert seen == [n["number"] for n in everything]
    assert page["totalCount"] == len(everything)
    empty = await audit_page(database, callers, first=0)
    assert empty["nodes"] == [] and empty["pageInfo"]["endCursor"] is None


async def test_bad_arguments_are_typed_refusals(database: Database) -> None:
    callers, (first, _) = await quotes_by_two_keys(database)
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({"first": 101}, ("PAGE_SIZE_TOO_LARGE", "first")),
        ({"first": -1}, ("INVALID_VALUE", "first")),
        ({"after": "not-a-cursor"}, ("INVALID_CURSOR", "after")),
        ({"after": encode_id("Contract", 3)}, ("INVALID_CURSOR", "after")),
        ({"after": encode_id("AuditEvent", 0)}, ("INVALID_CURSOR", "after")),
        ({"objectId": "nope"}, ("INVALID_ID", "objectId")),
        ({"objectType": "Contract", "objectId": first}, ("INVALID_ID", "objectId")),
    ]
    for arguments, expected in cases:
        result = await run(database, callers.admin.actor, AUDIT, **arguments)
        assert result.data is None, arguments
        assert [(e.extensions["code"], e.extensions["field"]) for e in result.errors or []] == [
            expected
        ], arguments
