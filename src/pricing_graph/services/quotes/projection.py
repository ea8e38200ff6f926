"""Projected usage as callers give it -> the rating core's `UsageProjection`, with problems
by field."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal

from pricing_graph.rating import MetricUsage, UsageProjection, UsageSnapshot
from pricing_graph.rating.plan_checks import Path
from pricing_graph.rating.usage import group_of
from pricing_graph.services.catalog.inputs import DimensionValueSpec
from pricing_graph.services.errors import ErrorCode, Problem, camel, problem

HUNDRED = Decimal(100)
QUANTUM = Decimal("1e-12")  # a grown quantity keeps 12 places, like every Decimal input
MAX_GROWTH_PERCENT = Decimal(1000)  # a period: 11 times the period before at most
# A grown quantity stays below what a Decimal input may say (21 integer digits).
MAX_QUANTITY = Decimal(10) ** 21
_GROWTH = Context(prec=60)  # exact for any quantity below MAX_QUANTITY with 12 places


@dataclass(frozen=True, slots=True)
class ProjectedUsage:
    """Projected usage of one metric (and dimension group) per billing period: a constant
    `quantity`, optionally growing by `growth_percent` a period; or a `per_period` list; or,
    for PERCENTAGE and DYNAMIC prices, `transaction_count` transactions (events) of
    `average_amount` (their average amount, or average cost)."""

    metric_key: str
    dimensions: tuple[DimensionValueSpec, ...] | None = None
    quantity: Decimal | None = None
    growth_percent: Decimal | None = None
    per_period: tuple[Decimal, ...] | None = None
    transaction_count: int | None = None
    average_amount: Decimal | None = None


def projection_from_input(
    usage: Sequence[ProjectedUsage],
    periods: int,
    metric_keys: Collection[str],
    errors: list[Problem],
    *,
    per_event: Collection[str] | None = None,
    per_quantity: Collection[str] | None = None,
) -> UsageProjection:
    """`per_event`: the metrics some PERCENTAGE or DYNAMIC rate prices (a transaction count
    is refused on any other, INVALID_USAGE on `transaction_count`); `per_quantity`: those
    some quantity rate prices (a quantity above 0 is refused on any other, on `quantity`
    or `per_period`). Either check is skipped when not given, and runs only on an entry
    with no other problem."""
    per_period: list[list[MetricUsage]] = [[] for _ in range(periods)]
    for index, item in enumerate(usage):
        path = ("usage", index)
        if item.metric_key not in metric_keys:
            errors.append(
                problem(
                    (*path, "metric_key"),
                    ErrorCode.UNKNOWN_METRIC,
                    f"the plan prices no metric {item.metric_key!r} "
                    f"(it prices: {', '.join(sorted(metric_keys)) or 'none'})",
                )
            )
            continue
        group = group_of({d.name: d.value for d in item.dimensions or ()})
        found = len(errors)
        entries = _entries(item, periods, path, errors)
        if len(errors) == found:
            _check_fit(item, path, entries, per_event, per_quantity, errors)
        for period, entry in enumerate(entries):
            per_period[period].append(
                MetricUsage(
                    metric_key=item.metric_key,
                    quantity=entry[0],
                    group=group,
                    transaction_count=entry[1],
                    average_amount=item.average_amount if entry[1] is not None else None,
                )
            )
    return UsageProjection(per_period=tuple(UsageSnapshot(tuple(p)) for p in per_period))


def _check_fit(
    item: ProjectedUsage,
    path: Path,
    entries: list[tuple[Decimal, int | None]],
    per_event: Collection[str] | None,
    per_quantity: Collection[str] | None,
    errors: list[Problem],
) -> None:
    """A transaction count for a metric no per-event rate prices would price nothing (and
    a quantity for a metric only per-event rates price has no transactions to price)."""
    key = item.metric_key
    if item.transaction_count is not None:
        if per_event is not None and key not in per_event:
            errors.append(
                problem(
                    (*path, "transaction_count"),
                    ErrorCode.INVALID_USAGE,
                    f"{key!r} is not priced per transaction or event here: a transaction "
                    "count and average amount price PERCENTAGE and DYNAMIC prices only; "
                    "give a quantity",
                )
            )
        return
    if per_quantity is None or key in per_quantity:
        return
    if any(quantity > 0 for quantity, _ in entries):
        field = "quantity" if item.quantity is not None else "per_period"
        errors.append(
            problem(
                (*path, field),
                ErrorCode.INVALID_USAGE,
                f"{key!r} is priced per transaction or event (PERCENTAGE, DYNAMIC): give "
                "transactionCount and averageAmount (the average amount, or cost, of one)",
            )
        )


def _entries(
    item: ProjectedUsage, periods: int, path: Path, errors: list[Problem]
) -> list[tuple[Decimal, int | None]]:
    given = [
        name
        for name in ("quantity", "per_period", "transaction_count")
        if getattr(item, name) is not None
    ]
    if len(given) != 1:
        errors.append(
            problem(
                path,
                ErrorCode.INVALID_VALUE,
                "give one of quantity, perPeriod or transactionCount "
                f"(got {', '.join(camel(name) for name in given) or 'none'})",
            )
        )
        return []
    if item.growth_percent is not None and item.quantity is None:
        errors.append(
            problem((*path, "growth_percent"), ErrorCode.INVALID_VALUE, "grows a constant quantity")
        )
        return []
    if item.per_period is not None:
        if len(item.per_period) != periods:
            errors.append(
                problem(
                    (*path, "per_period"),
                    ErrorCode.INVALID_VALUE,
                    f"give one quantity per period: {periods}, got {len(item.per_period)}",
                )
            )
            return []
        for n, quantity in enumerate(item.per_period):
            _not_negative((*path, "per_period", n), quantity, errors)
        return [(q, None) for q in item.per_period]
    if item.transaction_count is not None:
        if item.transaction_count < 0:
            errors.append(
                problem((*path, "transaction_count"), ErrorCode.NEGATIVE_VALUE, "must be 0+")
            )
        if item.average_amount is None:
            errors.append(
                problem(
                    (*path, "average_amount"),
                    ErrorCode.REQUIRED,
                    "a transaction count needs the average transaction amount",
                )
            )
        else:
            _not_negative((*path, "average_amount"), item.average_amount, errors)
        return [(Decimal(0), item.transaction_count)] * periods
    assert item.quantity is not None
    _not_negative((*path, "quantity"), item.quantity, errors)
    growth = item.growth_percent or Decimal(0)
    if not -HUNDRED < growth <= MAX_GROWTH_PERCENT:
        errors.append(
            problem(
                (*path, "growth_percent"),
                ErrorCode.INVALID_VALUE,
                f"must be above -100 and at most {MAX_GROWTH_PERCENT} (percent a period), "
                f"got {growth}",
            )
        )
        return []
    factor = _GROWTH.divide(HUNDRED + growth, HUNDRED)
    quantities: list[tuple[Decimal, int | None]] = []
    quantity = item.quantity
    for period in range(periods):
        if quantity >= MAX_QUANTITY:
            errors.append(
                problem(
                    (*path, "growth_percent"),
                    ErrorCode.INVALID_VALUE,
                    f"grows the quantity past {MAX_QUANTITY:f} by period {period}: lower "
                    "the growth, the quantity or the periods",
                )
            )
            return []
        quantities.append((quantity, None))
        if growth:
            quantity = _GROWTH.multiply(quantity, factor).quantize(QUANTUM, context=_GROWTH)
            quantity = quantity.normalize(_GROWTH)
    return quantities


def _not_negative(path: Path, value: Decimal, errors: list[Problem]) -> None:
    if value < 0:
        errors.append(problem(path, ErrorCode.NEGATIVE_VALUE, f"must be 0 or more, got {value}"))
