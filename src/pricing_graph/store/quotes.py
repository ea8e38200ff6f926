"""Saved quotes: a deal sent to a customer or a prospect, its revisions and their results.

A `saved_quote` moves DRAFT -> APPROVED -> ACCEPTED (or DRAFT/APPROVED -> VOIDED). Each
edit while DRAFT appends a `saved_quote_revision` holding the quote input as it was sent
and the result computed from it, so what was sent is what is read back and what is signed:
nothing is recomputed. Accepting creates the customer (for a prospect) and the contract.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from pricing_graph.store import metadata as _metadata  # noqa: F401  (naming convention first)
from pricing_graph.store.catalog import utcnow
from pricing_graph.store.types import UtcDateTime

QUOTE_STATUSES = ("DRAFT", "APPROVED", "VOIDED", "ACCEPTED")
VOID_REASON_LENGTH = 500


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class SavedQuoteRow(SQLModel, table=True):
    """Either `customer_id` (an existing customer) or the prospect's name and external ID
    (the customer acceptance creates)."""

    __tablename__ = "saved_quote"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    prospect_name: str | None = Field(default=None, max_length=200)
    prospect_external_id: str | None = Field(default=None, max_length=200)
    status: str = Field(default="DRAFT", max_length=20, index=True)
    valid_until: date = Field(sa_column=Column(Date, nullable=False))
    void_reason: str | None = Field(default=None, max_length=VOID_REASON_LENGTH)
    accepted_contract_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("contract.id", ondelete="SET NULL"), nullable=True),
    )
    accepted_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    current_revision: int = 1
    created_at: datetime = _created_at()


class SavedQuoteRevisionRow(SQLModel, table=True):
    """One version of the quote: `input` is the QuoteInput as sent (JSON-safe: decimals and
    dates as strings, enums by name), `result` the Quote computed from it."""

    __tablename__ = "saved_quote_revision"
    __table_args__ = (UniqueConstraint("quote_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(
        sa_column=Column(Integer, ForeignKey("saved_quote.id", ondelete="CASCADE"), nullable=False)
    )
    revision: int
    input: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    created_at: datetime = _created_at()
