"""Every table, imported once so `metadata` is complete for Alembic and tests."""

from pricing_graph.store import (
    access,
    catalog,
    catalog_version,
    contracts,
    discounts,
    entitlements,
    quotes,
    usage,
)
from pricing_graph.store.metadata import metadata

__all__ = [
    "access",
    "catalog",
    "catalog_version",
    "contracts",
    "discounts",
    "entitlements",
    "metadata",
    "quotes",
    "usage",
]
