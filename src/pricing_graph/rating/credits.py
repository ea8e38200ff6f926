"""The credit ledger: grants (and prepaid commitments' credits), burn order, carry-over
across periods, expiry (breakage). Plus the `BillingState` that carries balances from one
period's invoice to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .models import ZERO
from .terms import CommitmentKind, ContractTerms

_FAR = date.max


@dataclass(frozen=True, slots=True)
class GrantSpec:
    """A normalized grant: a `CreditGrant`, or the credits of a PREPAID commitment."""

    key: str
    description: str
    amount: Decimal
    effective: date
    expires: date | None
    product_keys: tuple[str, ...]
    priority: int

    @property
    def burn_order(self) -> tuple[int, date, date, str]:
        """Lower priority number first, then soonest expiry (never-expiring last), then the
        earliest effective date, then the key."""
        return (self.priority, self.expires or _FAR, self.effective, self.key)

    def usable_in(self, start: date, end: date) -> bool:
        """A grant pays an invoice whose period overlaps `[effective, expires)`."""
        return self.effective < end and (self.expires is None or self.expires > start)

    def covers(self, product_key: str) -> bool:
        return not self.product_keys or product_key in self.product_keys


def grant_specs(terms: ContractTerms, zero: Decimal = ZERO) -> tuple[GrantSpec, ...]:
    """Grants in burn order. `zero` is the pricing unit's zero (`0.00` in USD): added to
    each amount, it writes a grant of `30` as `30.00` (every balance, use and breakage
    derived from it then has the unit's minor units too) and never drops a digit."""
    specs = [
        GrantSpec(
            g.key,
            f"Credit {g.key}",
            g.amount + zero,
            g.effective,
            g.expires,
            g.product_keys,
            g.priority,
        )
        for g in terms.credit_grants
    ]
    for c in terms.commitments:
        if c.kind is CommitmentKind.PREPAID:
            specs.append(
                GrantSpec(
                    c.key,
                    f"Prepaid commitment {c.key}",
                    (c.amount if c.credit_amount is None else c.credit_amount) + zero,
                    c.start or terms.start,
                    c.end or terms.end,
                    c.product_keys,
                    c.priority,
                )
            )
    specs.sort(key=lambda s: s.burn_order)
    return tuple(specs)


@dataclass(frozen=True, slots=True)
class CreditApplication:
    """`amount` of grant `grant_key` applied to an invoice (`trial` for the trial credit);
    `remaining` is the grant's balance afterwards."""

    grant_key: str
    description: str
    amount: Decimal
    remaining: Decimal | None


@dataclass(frozen=True, slots=True)
class Breakage:
    grant_key: str
    amount: Decimal
    expired_on: date


@dataclass(frozen=True, slots=True)
class BillingState:
    """What one period hands to the next: the index of the next period, each touched grant's
    remaining balance, what expired, each postpaid commitment's eligible spend so far and
    the trial spending cap used, and what ONCE AMOUNT discounts have left
    (`discount_left`). `BillingState()` is the state before period 0."""

    next_period: int = 0
    remaining: tuple[tuple[str, Decimal], ...] = ()
    expired: tuple[tuple[str, Decimal], ...] = ()
    commitment_spend: tuple[tuple[str, Decimal], ...] = ()
    trial_used: Decimal = ZERO
    discount_left: tuple[tuple[str, Decimal], ...] = ()

    def remaining_of(self, key: str) -> Decimal | None:
        for k, v in self.remaining:
            if k == key:
                return v
        return None


INITIAL_STATE = BillingState()


class Ledger:
    """Mutable working copy of a `BillingState` for one period."""

    __slots__ = ("expired", "remaining", "spend", "trial_used")

    def __init__(self, state: BillingState) -> None:
        self.remaining = dict(state.remaining)
        self.expired = dict(state.expired)
        self.spend = dict(state.commitment_spend)
        self.trial_used = state.trial_used

    def burn(
        self,
        grants: tuple[GrantSpec, ...],
        amount: Decimal,
        start: date,
        end: date,
        product_key: str,
    ) -> list[CreditApplication]:
        """Apply grants in burn order to `amount` (never below zero)."""
        applied: list[CreditApplication] = []
        if amount <= ZERO:
            return applied
        for g in grants:
            if g.key in self.expired or not g.usable_in(start, end) or not g.covers(product_key):
                continue
            balance = self.remaining.get(g.key, g.amount)
            if balance <= ZERO:
                continue
            use = balance if balance < amount else amount
            balance -= use
            amount -= use
            self.remaining[g.key] = balance
            applied.append(CreditApplication(g.key, g.description, use, balance))
            if amount <= ZERO:
                break
        return applied

    def expire(self, grants: tuple[GrantSpec, ...], period_end: date) -> list[Breakage]:
        """Expire every grant that cannot pay any later period; what is left is breakage (a
        grant used up expires without a breakage row)."""
        out: list[Breakage] = []
        for g in grants:
            if g.expires is not None and g.expires <= period_end and g.key not in self.expired:
                left = self.remaining.get(g.key, g.amount)
                self.remaining[g.key] = left - left
                self.expired[g.key] = left
                if left > ZERO:
                    out.append(Breakage(g.key, left, g.expires))
        return out

    def state(self, next_period: int) -> BillingState:
        return BillingState(
            next_period,
            tuple(self.remaining.items()),
            tuple(self.expired.items()),
            tuple(self.spend.items()),
            self.trial_used,
        )
