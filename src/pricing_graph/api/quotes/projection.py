"""Projected usage input -> the rating core's `UsageProjection`, with errors by field."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal

from pricing_graph.api.errors import ErrorCode, UserError, camel, user_error
from pricing_graph.api.quotes.inputs import ProjectedUsageInput
from pricing_graph.rating import MetricUsage, UsageProjection, UsageSnapshot
from pricing_graph.rating.usage import group_of

HUNDRED = Decimal(100)
QUANTUM = Decimal("1e-12")  # a grown quantity keeps 12 places, like every Decimal input


def projection_from_input(
    usage: Sequence[ProjectedUsageInput],
    periods: int,
    metric_keys: Collection[str],
    errors: list[UserError],
) -> UsageProjection:
    per_period: list[list[MetricUsage]] = [[] for _ in range(periods)]
    for index, item in enumerate(usage):
        path = ("usage", index)
        if item.metric_key not in metric_keys:
            errors.append(
                user_error(
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
    item: ProjectedUsageInput,
    periods: int,
    path: tuple[str | int, ...],
    errors: list[UserError],
) -> list[tuple[Decimal, int | None]]:
    given = [
        name
        for name in ("quantity", "per_period", "transaction_count")
        if getattr(item, name) is not None
    ]
    if len(given) != 1:
        errors.append(
            user_error(
                path,
                ErrorCode.INVALID_VALUE,
                "give one of quantity, perPeriod or transactionCount "
                f"(got {', '.join(camel(name) for name in given) or 'none'})",
            )
        )
        return []
    if item.growth_percent is not None and item.quantity is None:
        errors.append(
            user_error(
                (*path, "growth_percent"), ErrorCode.INVALID_VALUE, "grows a constant quantity"
            )
        )
        return []
    if item.per_period is not None:
        if len(item.per_period) != periods:
            errors.append(
                user_error(
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
                user_error((*path, "transaction_count"), ErrorCode.NEGATIVE_VALUE, "must be 0+")
            )
        if item.average_amount is None:
            errors.append(
                user_error(
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
    if growth <= -HUNDRED:
        errors.append(
            user_error((*path, "growth_percent"), ErrorCode.INVALID_VALUE, "must be above -100")
        )
        return []
    factor = (HUNDRED + growth) / HUNDRED
    quantities: list[tuple[Decimal, int | None]] = []
    quantity = item.quantity
    for _ in range(periods):
        quantities.append((quantity, None))
        quantity = (quantity * factor).quantize(QUANTUM).normalize() if growth else quantity
    return quantities


def _not_negative(path: tuple[str | int, ...], value: Decimal, errors: list[UserError]) -> None:
    if value < 0:
        errors.append(user_error(path, ErrorCode.NEGATIVE_VALUE, f"must be 0 or more, got {value}"))
