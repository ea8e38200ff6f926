"""Usage as it reaches the rating core: already aggregated per (metric, dimension group).

The store aggregates events in SQL (SUM, COUNT, MAX, UNIQUE_COUNT, LATEST) per billing
period and dimension group. PERCENTAGE prices also need each transaction's amount (or a
count and an average size for projections); DYNAMIC prices need each event's cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .models import ZERO

#: Dimension values of a usage group, as sorted `(dimension, value)` pairs; `()` = none.
Group = tuple[tuple[str, str], ...]


def group_of(values: Mapping[str, str]) -> Group:
    """The canonical group for a mapping of dimension values."""
    return tuple(sorted(values.items()))


@dataclass(frozen=True, slots=True)
class MetricUsage:
    metric_key: str
    quantity: Decimal = ZERO
    group: Group = ()
    transactions: tuple[Decimal, ...] = ()
    transaction_count: int | None = None
    average_amount: Decimal | None = None
    event_costs: tuple[Decimal, ...] = ()


@dataclass(frozen=True, slots=True)
class UsageSnapshot:
    """One billing period's usage."""

    usage: tuple[MetricUsage, ...] = ()


EMPTY_USAGE = UsageSnapshot()


@dataclass(frozen=True, slots=True)
class UsageProjection:
    """Usage for a run of periods: `per_period[i]` for period i when given (not None),
    else `base`."""

    base: UsageSnapshot | None = None
    per_period: tuple[UsageSnapshot | None, ...] = ()

    @classmethod
    def constant(cls, snapshot: UsageSnapshot) -> UsageProjection:
        return cls(base=snapshot)

    def for_period(self, index: int) -> UsageSnapshot | None:
        if index < len(self.per_period):
            snap = self.per_period[index]
            if snap is not None:
                return snap
        return self.base
