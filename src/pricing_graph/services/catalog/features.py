"""A plan's boolean features (entitlements): checked input, and the stored form read back."""

from __future__ import annotations

from pricing_graph.services.catalog.inputs import FeatureSpec
from pricing_graph.services.errors import ErrorCode, Problem, problem
from pricing_graph.services.validation import key_errors, text_errors
from pricing_graph.store.catalog import PlanRow

#: Features a plan may list (the pricing page shows them all).
MAX_FEATURES = 100


def feature_entitlements_from_input(
    given: tuple[FeatureSpec, ...], errors: list[Problem]
) -> tuple[tuple[str, str], ...]:
    """(key, display name) pairs, each problem at `feature_entitlements.N.<field>`."""
    if len(given) > MAX_FEATURES:
        errors.append(
            problem(
                ("feature_entitlements",),
                ErrorCode.INVALID_VALUE,
                f"at most {MAX_FEATURES} features, got {len(given)}",
            )
        )
        return ()
    seen: set[str] = set()
    for index, feature in enumerate(given):
        path = ("feature_entitlements", index)
        errors.extend(key_errors((*path, "key"), feature.key))
        errors.extend(text_errors((*path, "display_name"), feature.display_name))
        if feature.key in seen:
            errors.append(
                problem((*path, "key"), ErrorCode.DUPLICATE_KEY, f"{feature.key!r} is listed twice")
            )
        seen.add(feature.key)
    return tuple((feature.key, feature.display_name) for feature in given)


def stored_feature_entitlements(row: PlanRow) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(item["key"]), str(item["displayName"])) for item in row.feature_entitlements or ()
    )
