"""The JSON a saved quote keeps: its input as sent and its result as priced.

Both are stored in their GraphQL shape (camelCase keys, enums by name, decimals and dates as
strings), so what a revision reads back is exactly what the client sent and what the
`quote` query answered: `to_json`/`from_json` map a dataclass (a service input, or a type
with the same field names) to that shape and back; `quote_document` writes the `Quote`
result field by field, as the GraphQL `Quote` type lays it out.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from pricing_graph.rating import InvoiceLine, InvoicePreview
from pricing_graph.rating.timing import IssuedInvoice, issued_invoices
from pricing_graph.rating.usage import Group
from pricing_graph.services.errors import camel
from pricing_graph.services.quotes.pricing import PricedQuote


def to_json(value: Any) -> Any:
    """A dataclass as JSON in its GraphQL shape: what a client sends or reads."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            camel(f.name): to_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "idempotency_key"
        }
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def from_json(kind: Any, data: Any) -> Any:
    """The inverse of `to_json` for the annotated type `kind`: the same values back."""
    origin = get_origin(kind)
    if origin is Union or origin is types.UnionType:
        if data is None:
            return None
        [inner] = [arg for arg in get_args(kind) if arg is not type(None)]
        return from_json(inner, data)
    if origin is list:
        return [from_json(get_args(kind)[0], item) for item in data]
    if origin is tuple:
        return tuple(from_json(get_args(kind)[0], item) for item in data)
    supertype = getattr(kind, "__supertype__", None)  # NewType, e.g. an ID
    if supertype is not None:
        return from_json(supertype, data)
    if dataclasses.is_dataclass(kind):
        hints = get_type_hints(kind)
        build: Any = kind
        return build(
            **{
                f.name: from_json(hints[f.name], data[camel(f.name)])
                for f in dataclasses.fields(kind)
                if f.init and camel(f.name) in data
            }
        )
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind[data]
    if kind is Decimal:
        return Decimal(data)
    if kind is date:
        return date.fromisoformat(data)
    return data


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _group(group: Group) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in group]


def _line(line: InvoiceLine) -> dict[str, Any]:
    return {
        "kind": line.kind.name,
        "description": line.description,
        "priceKey": line.price_key,
        "quantity": str(line.quantity),
        "unitPrice": _money(line.unit_price),
        "amount": str(line.amount),
        "pricingUnit": line.pricing_unit,
        "tiers": [
            {
                "tier": t.tier,
                "above": str(t.above),
                "upTo": _money(t.up_to),
                "quantity": str(t.quantity),
                "unitPrice": str(t.unit_price),
                "flatFee": str(t.flat_fee),
                "amount": str(t.amount),
            }
            for t in line.tiers
        ],
        "dimensionGroup": _group(line.group),
        "inAdvance": line.in_advance,
    }


def invoice_document(invoice: InvoicePreview) -> dict[str, Any]:
    """An invoice preview in the shape of the GraphQL `InvoicePreview` type."""
    return {
        "planKey": invoice.plan_key,
        "planVersion": invoice.plan_version,
        "invoiceDisplayName": invoice.plan_display_name,
        "periodIndex": invoice.period.index,
        "periodStart": invoice.period.start.isoformat(),
        "periodEnd": invoice.period.end.isoformat(),
        "rampIndex": invoice.ramp_index,
        "trialDays": invoice.trial_days,
        "issueDate": invoice.issue_date.isoformat(),
        "dueDate": invoice.due_date.isoformat(),
        "currency": invoice.currency,
        "pricingUnit": invoice.pricing_unit,
        "autoPay": invoice.auto_pay,
        "lines": [_line(line) for line in invoice.lines],
        "subtotal": str(invoice.subtotal),
        "minimumTrueUps": [_line(line) for line in invoice.minimum_true_ups],
        "creditsApplied": [
            {
                "grantKey": c.grant_key,
                "description": c.description,
                "amount": str(c.amount),
                "remaining": _money(c.remaining),
            }
            for c in invoice.credits_applied
        ],
        "creditsTotal": str(invoice.credits_total),
        "amountDueInUnit": str(invoice.amount_due_in_unit),
        "currencyLines": [_line(line) for line in invoice.currency_lines],
        "total": str(invoice.total),
        "unpriced": [
            {
                "priceKey": u.price_key,
                "metricKey": u.metric_key,
                "dimensionGroup": _group(u.group),
                "quantity": str(u.quantity),
            }
            for u in invoice.unpriced
        ],
        "breakage": [
            {
                "grantKey": b.grant_key,
                "amount": str(b.amount),
                "expiredOn": b.expired_on.isoformat(),
            }
            for b in invoice.breakage
        ],
        "discounts": [
            {
                "discountKey": d.discount_key,
                "description": d.description,
                "amount": str(d.amount),
                "remaining": _money(d.remaining),
            }
            for d in invoice.discounts
        ],
        "discountsTotal": str(invoice.discounts_total),
    }


def _issued(doc: IssuedInvoice) -> dict[str, Any]:
    return {
        "issueDate": doc.issue_date.isoformat(),
        "dueDate": doc.due_date.isoformat(),
        "currency": doc.currency,
        "parts": [
            {
                "periodIndex": part.period_index,
                "periodStart": part.period_start.isoformat(),
                "periodEnd": part.period_end.isoformat(),
                "issueDate": part.issue_date.isoformat(),
                "dueDate": part.due_date.isoformat(),
                "inAdvance": part.in_advance,
                "lines": [_line(line) for line in part.lines],
                "credits": str(part.credits),
                "total": str(part.total),
                "discounts": str(part.discounts),
            }
            for part in doc.parts
        ],
        "total": str(doc.total),
    }


def with_display_names(result: dict[str, Any]) -> dict[str, Any]:
    """A stored quote document as the `Quote` type reads it: a revision saved before invoice
    previews carried the plan's invoice display name shows the plan key in its place."""
    invoices = result.get("invoices") or []
    if all("invoiceDisplayName" in invoice for invoice in invoices):
        return result
    return {
        **result,
        "invoices": [{"invoiceDisplayName": i["planKey"], **i} for i in invoices],
    }


def quote_document(priced: PricedQuote) -> dict[str, Any]:
    """A priced quote in the shape of the GraphQL `Quote` type."""
    rated = priced.rated
    return {
        "planKey": rated.plan_key,
        "planVersion": rated.plan_version,
        "currency": rated.currency,
        "pricingUnit": rated.pricing_unit,
        "invoices": [invoice_document(invoice) for invoice in rated.invoices],
        "total": str(rated.total),
        "credits": [
            {
                "grantKey": c.grant_key,
                "granted": str(c.granted),
                "used": str(c.used),
                "expired": str(c.expired),
                "remaining": str(c.remaining),
            }
            for c in rated.credits
        ],
        "creditsUsed": str(rated.credits_used),
        "trialCredit": str(rated.trial_credit),
        "breakage": str(rated.breakage),
        "listPriceTotal": str(rated.list_price_total),
        "saving": str(rated.saving),
        "issuedInvoices": [_issued(doc) for doc in issued_invoices(rated.invoices)],
        "effectivePrices": [
            {
                "metricKey": e.metric_key,
                "quantity": str(e.quantity),
                "amount": str(e.amount),
                "pricePerUnit": _money(e.price_per_unit),
            }
            for e in priced.effective_prices
        ],
        "discountsTotal": str(rated.discounts_total),
    }
