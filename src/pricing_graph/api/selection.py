"""What a field's selection asks for, read from the parsed document."""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)


def selects(info: Any, name: str) -> bool:
    """Whether the resolving field's selection asks for the field `name` directly (through
    fragments too; @skip and @include are not read, so a skipped field counts).

    Strawberry's `Info.selected_fields` converts the whole subtree on every call; this
    walks one level of the document's nodes."""
    raw = info._raw_info  # graphql-core's GraphQLResolveInfo
    pending: list[SelectionSetNode | None] = [node.selection_set for node in raw.field_nodes]
    seen: set[str] = set()
    while pending:
        selection_set = pending.pop()
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value == name:
                    return True
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = raw.fragments.get(selection.name.value)
                if fragment is not None and fragment.name.value not in seen:
                    seen.add(fragment.name.value)
                    pending.append(fragment.selection_set)
    return False


# Root query fields whose services read the catalog per catalog version (the quote's and the
# comparison's rows, the pricing page's product and plans by key).
CATALOG_VERSION_FIELDS = frozenset({"quote", "comparePlans"})


def reads_catalog_version(document: DocumentNode, operation_name: str | None) -> bool:
    """Whether the operation to run selects, at its root, a field that reads the catalog
    version (`product` only by `key`): a hint to start that read early, so a root field
    reached only through a fragment is not seen (it reads the version when it needs it)."""
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if definition.operation is not OperationType.QUERY:
            continue
        if operation_name is not None and (
            definition.name is None or definition.name.value != operation_name
        ):
            continue
        for selection in definition.selection_set.selections:
            if not isinstance(selection, FieldNode):
                continue
            name = selection.name.value
            if name in CATALOG_VERSION_FIELDS or (
                name == "product" and any(a.name.value == "key" for a in selection.arguments or ())
            ):
                return True
    return False
