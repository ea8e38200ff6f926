"""Saved-quote loaders."""

from __future__ import annotations

from pricing_graph.api.loaders.base import RowsByParentLoader
from pricing_graph.store.quotes import SavedQuoteRevisionRow


class RevisionsByQuoteIdLoader(RowsByParentLoader[SavedQuoteRevisionRow]):
    model = SavedQuoteRevisionRow
    parent = "quote_id"
    order_by = ("revision",)
