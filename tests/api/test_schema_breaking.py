"""A change to the schema that would break a client fails the suite, unless allowed.

The code's schema is compared with schema.graphql as last committed (`git show
HEAD:schema.graphql`; the working copy when git is not there) by graphql-core's
`find_breaking_changes`. Each breaking change is printed as `<TYPE> <description>`; one listed
in frontend-contract/breaking-changes-allowed.txt with a reason (`<change> :: <reason>`)
passes. Dangerous changes (a new enum value, a changed default) are printed, never fatal.
PRICING_GRAPH_SCHEMA_BASE=<git ref> compares with another commit (e.g. origin/main).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from graphql import (
    BreakingChange,
    DangerousChange,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

from pricing_graph.api.schema import schema

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_FILE = ROOT / "frontend-contract" / "breaking-changes-allowed.txt"


def committed_schema() -> tuple[str, GraphQLSchema]:
    ref = os.environ.get("PRICING_GRAPH_SCHEMA_BASE", "HEAD")
    try:
        shown = subprocess.run(
            ["git", "show", f"{ref}:schema.graphql"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        return f"schema.graphql at {ref}", build_schema(shown)
    except (OSError, subprocess.SubprocessError):
        return "schema.graphql", build_schema((ROOT / "schema.graphql").read_text())


def allowed() -> dict[str, str]:
    """Allowlisted change -> reason; a line without a reason is an error."""
    found: dict[str, str] = {}
    for number, line in enumerate(ALLOWED_FILE.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        change, separator, reason = line.partition("::")
        if not separator or not reason.strip():
            pytest.fail(f"{ALLOWED_FILE.name}:{number}: give a reason: `<change> :: <reason>`")
        found[change.strip()] = reason.strip()
    return found


def describe_change(change: BreakingChange | DangerousChange) -> str:
    return f"{change.type.name} {change.description}"


def test_no_unallowed_breaking_change() -> None:
    base_name, base = committed_schema()
    current = build_schema(schema.as_str())
    breaking = [describe_change(c) for c in find_breaking_changes(base, current)]
    dangerous = [describe_change(c) for c in find_dangerous_changes(base, current)]
    permitted = allowed()
    print(f"compared with {base_name}")
    for line in dangerous:
        print(f"dangerous (allowed): {line}")
    for line in breaking:
        reason = permitted.get(line)
        print(f"BREAKING: {line}" + (f" (allowed: {reason})" if reason else ""))
    for line in sorted(set(permitted) - set(breaking)):
        print(f"no longer needed in {ALLOWED_FILE.name}: {line}")
    refused = [line for line in breaking if line not in permitted]
    assert not refused, (
        "breaking schema changes (a client built on the committed schema would fail):\n"
        + "\n".join(f"  {line}" for line in refused)
        + f"\nundo them, or list each in frontend-contract/{ALLOWED_FILE.name} as "
        "`<change> :: <reason>`"
    )


def test_the_check_sees_a_removed_field() -> None:
    """The comparison itself: dropping a field is reported with its name."""
    base = build_schema("type Query { plan: String, price(id: ID): Int }")
    current = build_schema("type Query { price(id: ID!): Int }")
    found = [describe_change(c) for c in find_breaking_changes(base, current)]
    assert found == [
        "FIELD_REMOVED Field Query.plan was removed.",
        "ARG_CHANGED_KIND Argument Query.price(id:) has changed type from ID to ID!.",
    ]
