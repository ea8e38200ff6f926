"""Saved quotes: a deal sent to a customer or a prospect, its revisions and their results.

A `saved_quote` moves DRAFT -> APPROVED -> ACCEPTED (or DRAFT/APPROVED -> VOIDED). Each
edit while DRAFT appends a `saved_quote_revision` holding the quote input as it was sent
and the result computed from it, so what was sent is what is read back and what is signed:
nothing is recomputed. Accepting creates the customer (for a prospect) and the contract.

The functions at the end are the saved-quote services' statements. Those taking a `session`
run inside the caller's transaction; those taking `read` on the request's read session.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, UniqueConstraint, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.store import metadata as _metadata  # noqa: F401  (naming convention first)
from pricing_graph.store.catalog import utcnow
from pricing_graph.store.catalog_queries import page_of_statement
from pricing_graph.store.catalog_repo import Reader
from pricing_graph.store.contracts import CustomerRow
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


# -- reads ---------------------------------------------------------------------------------


async def saved_quote_by_id(read: Reader, quote_id: int) -> SavedQuoteRow | None:
    rows = await read(select(SavedQuoteRow).where(SavedQuoteRow.id == quote_id))
    return rows[0] if rows else None


async def saved_quotes_page(
    read: Reader, offset: int, limit: int, *, status: str | None = None
) -> tuple[list[SavedQuoteRow], int]:
    """Saved quotes by id (those of one status if given), and how many there are."""
    statement = select(SavedQuoteRow).order_by(col(SavedQuoteRow.id))
    if status is not None:
        statement = statement.where(SavedQuoteRow.status == status)
    return await page_of_statement(read, statement, offset, limit)


# -- inside a saved-quote write's transaction ----------------------------------------------


async def lock_quote(session: AsyncSession, quote_id: int) -> SavedQuoteRow | None:
    """The quote, with its row held for this transaction: an UPDATE comes first (a row lock
    on PostgreSQL, the write lock on SQLite), so concurrent transitions queue."""
    await session.exec(
        update(SavedQuoteRow)
        .where(col(SavedQuoteRow.id) == quote_id)
        .values(current_revision=SavedQuoteRow.current_revision)
    )
    return await session.get(SavedQuoteRow, quote_id, populate_existing=True)


async def customer_exists(session: AsyncSession, customer_id: int) -> bool:
    return await session.get(CustomerRow, customer_id) is not None


async def customer_with_external_id(session: AsyncSession, external_id: str) -> CustomerRow | None:
    found: CustomerRow | None = (
        await session.exec(select(CustomerRow).where(CustomerRow.external_id == external_id))
    ).first()
    return found


async def insert_prospect_customer(session: AsyncSession, quote: SavedQuoteRow) -> CustomerRow:
    """The customer a prospect's quote becomes on acceptance."""
    assert quote.prospect_external_id is not None and quote.prospect_name is not None
    customer = CustomerRow(external_id=quote.prospect_external_id, name=quote.prospect_name)
    session.add(customer)
    await session.flush()
    return customer


async def insert_quote(
    session: AsyncSession,
    *,
    customer_id: int | None,
    prospect_name: str | None,
    prospect_external_id: str | None,
    valid_until: date,
    input: dict[str, Any],
    result: dict[str, Any],
) -> int:
    """A DRAFT quote with its revision 1; returns its id."""
    row = SavedQuoteRow(
        customer_id=customer_id,
        prospect_name=prospect_name,
        prospect_external_id=prospect_external_id,
        valid_until=valid_until,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    session.add(SavedQuoteRevisionRow(quote_id=row.id, revision=1, input=input, result=result))
    await session.flush()
    return row.id


async def add_revision(
    session: AsyncSession,
    quote: SavedQuoteRow,
    *,
    valid_until: date | None,
    input: dict[str, Any],
    result: dict[str, Any],
) -> None:
    """Revision N+1 becomes the current one (and `valid_until` the new date, if given)."""
    assert quote.id is not None
    quote.current_revision += 1
    if valid_until is not None:
        quote.valid_until = valid_until
    session.add(quote)
    session.add(
        SavedQuoteRevisionRow(
            quote_id=quote.id, revision=quote.current_revision, input=input, result=result
        )
    )
    await session.flush()


async def current_revision(session: AsyncSession, quote: SavedQuoteRow) -> SavedQuoteRevisionRow:
    found: SavedQuoteRevisionRow = (
        await session.exec(
            select(SavedQuoteRevisionRow).where(
                SavedQuoteRevisionRow.quote_id == quote.id,
                SavedQuoteRevisionRow.revision == quote.current_revision,
            )
        )
    ).one()
    return found


async def set_status(
    session: AsyncSession, quote: SavedQuoteRow, status: str, **changes: Any
) -> None:
    """Move the quote to `status`, setting the given columns with it."""
    quote.status = status
    for name, value in changes.items():
        setattr(quote, name, value)
    session.add(quote)
    await session.flush()
