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
    for PERCENTAGE prices, `transaction_count` transactions of `average_amount`."""

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
) -> UsageProjection:
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
        for period, entry in enumerate(_entries(item, periods, path, errors)):
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
