"""What a field's selection asks for, read from the parsed document."""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode


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
