"""Discounts as callers give them -> the rating core's `Discount`s, checked under the same
rules (and with the same kind of field paths) as adjustments; and the discounts a new
contract or a quote gets: the plan version's defaults, its own, and a promotion code's.

Order on a contract (the order they apply in): the plan's defaults (unless
`apply_plan_discounts` is false), then the contract's own `discounts`, then the promotion
code's. The rating core's rules are in `rating.discounts`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating import models
from pricing_graph.rating.discounts import Discount, DiscountDuration, DiscountKind
from pricing_graph.rating.plan_checks import Path
from pricing_graph.services.errors import ErrorCode, Problem, problem, refuse
from pricing_graph.services.validation import key_errors, text_errors
from pricing_graph.store.catalog_repo import Reader
from pricing_graph.store.catalog_version import bump_catalog_version
from pricing_graph.store.discounts import (
    PromotionCodeRow,
    add_contract_discounts,
    claim_redemption,
    end_contract_discount,
    plan_discounts,
    promotion_code_by_code,
    record_redemption,
    to_discount,
)

HUNDRED = Decimal(100)
MAX_DISCOUNTS = 20  # per contract, quote or plan version: every one is applied per period


@dataclass(frozen=True, slots=True)
class DiscountSpec:
    """A discount as an input gives it (GraphQL `DiscountInput`, same fields and order)."""

    key: str
    kind: DiscountKind
    value: Decimal
    duration: DiscountDuration = DiscountDuration.FOREVER
    periods: int | None = None
    price_keys: tuple[str, ...] = ()
    starts: date | None = None
    expires: date | None = None
    description: str | None = None


class DiscountFields(Protocol):
    """What a new contract's (or a quote's) input says about discounts."""

    @property
    def discounts(self) -> Sequence[DiscountSpec]: ...
    @property
    def promotion_code(self) -> str | None: ...
    @property
    def apply_plan_discounts(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class EndDiscount:
    """amendContract's `endDiscounts` item: the contract's discount `key` stops applying to
    periods that start on or after `expires`."""

    key: str
    expires: date


class AmendFields(Protocol):
    @property
    def add_discounts(self) -> Sequence[DiscountSpec]: ...
    @property
    def end_discounts(self) -> Sequence[EndDiscount]: ...


def today() -> date:
    return datetime.now(UTC).date()


def discounts_from_input(
    given: Sequence[DiscountSpec],
    path: Path,
    plan: models.Plan | None,
    errors: list[Problem],
    *,
    dated: bool = True,
) -> tuple[Discount, ...]:
    """The rating core's discounts for `given`; input problems go to `errors`, at `path`.
    `plan` (None: any price key) names the prices a discount may list. `dated=False`
    (plan defaults, promotion codes): no start or expiry, the contract's dates rule."""
    if len(given) > MAX_DISCOUNTS:
        errors.append(problem(path, ErrorCode.INVALID_VALUE, f"at most {MAX_DISCOUNTS} discounts"))
        return ()
    price_keys = {p.key for ramp in plan.ramps for p in ramp.prices} if plan else None
    out: list[Discount] = []
    seen: set[str] = set()
    for index, item in enumerate(given):
        at: Path = (*path, index)
        errors.extend(key_errors((*at, "key"), item.key))
        if item.key in seen:
            errors.append(
                problem((*at, "key"), ErrorCode.DUPLICATE_KEY, f"{item.key!r} is used twice")
            )
        seen.add(item.key)
        errors.extend(discount_value_errors(item, at))
        if item.description is not None:
            errors.extend(text_errors((*at, "description"), item.description, required=False))
        if len(item.price_keys) > 100:
            errors.append(problem((*at, "price_keys"), ErrorCode.INVALID_VALUE, "at most 100"))
        for k, key in enumerate(item.price_keys[:100]):
            if price_keys is not None and key not in price_keys:
                errors.append(
                    problem(
                        (*at, "price_keys", k),
                        ErrorCode.UNKNOWN_PRICE,
                        f"the plan has no price with key {key!r} "
                        f"(it has: {', '.join(sorted(price_keys))})",
                    )
                )
        if not dated and (item.starts is not None or item.expires is not None):
            errors.append(
                problem(
                    (*at, "starts" if item.starts is not None else "expires"),
                    ErrorCode.INVALID_VALUE,
                    "counts from each contract's start: give a duration, not dates",
                )
            )
        if item.starts is not None and item.expires is not None and item.expires <= item.starts:
            errors.append(
                problem(
                    (*at, "expires"),
                    ErrorCode.INVALID_DATES,
                    f"the expiry {item.expires} must be after the start {item.starts}",
                )
            )
        out.append(
            Discount(
                key=item.key,
                kind=DiscountKind(item.kind),
                value=item.value,
                duration=DiscountDuration(item.duration),
                periods=item.periods,
                price_keys=tuple(item.price_keys),
                starts=item.starts,
                expires=item.expires,
                description=item.description or "",
            )
        )
    return tuple(out)


def discount_value_errors(item: DiscountSpec, at: Path) -> list[Problem]:
    errors: list[Problem] = []
    if not item.value.is_finite() or item.value <= 0:
        errors.append(
            problem((*at, "value"), ErrorCode.NOT_POSITIVE, f"must be above 0, got {item.value}")
        )
    elif item.kind is DiscountKind.PERCENT and item.value > HUNDRED:
        errors.append(
            problem(
                (*at, "value"),
                ErrorCode.INVALID_VALUE,
                f"a PERCENT discount is at most 100, got {item.value}",
            )
        )
    if item.duration is DiscountDuration.PERIODS:
        if item.periods is None:
            errors.append(
                problem((*at, "periods"), ErrorCode.REQUIRED, "a PERIODS discount needs periods")
            )
        elif not 1 <= item.periods <= 1200:
            errors.append(
                problem(
                    (*at, "periods"),
                    ErrorCode.INVALID_VALUE,
                    f"must be 1 to 1200, got {item.periods}",
                )
            )
    elif item.periods is not None:
        errors.append(
            problem(
                (*at, "periods"),
                ErrorCode.INVALID_VALUE,
                f"only a PERIODS discount takes periods (this one is {item.duration.value})",
            )
        )
    return errors


def normalized_code(code: str) -> str:
    """Codes are matched without regard to case or surrounding spaces, as Stripe's are."""
    return code.strip().upper()


async def usable_code(
    read: Reader, code: str, path: Path, errors: list[Problem]
) -> PromotionCodeRow | None:
    """The promotion code `code` if it can be redeemed today, else a problem at `path`:
    NOT_FOUND, PROMOTION_CODE_EXPIRED or PROMOTION_CODE_EXHAUSTED."""
    wanted = normalized_code(code)
    row = await promotion_code_by_code(read, wanted) if 0 < len(wanted) <= 50 else None
    if row is None:
        errors.append(problem(path, ErrorCode.NOT_FOUND, f"no promotion code {code!r}"))
        return None
    if row.expires_on is not None and today() >= row.expires_on:
        errors.append(
            problem(
                path,
                ErrorCode.PROMOTION_CODE_EXPIRED,
                f"promotion code {row.code} expired on {row.expires_on}",
            )
        )
        return None
    if row.max_redemptions is not None and row.times_redeemed >= row.max_redemptions:
        errors.append(
            problem(
                path,
                ErrorCode.PROMOTION_CODE_EXHAUSTED,
                f"promotion code {row.code} has been redeemed {row.times_redeemed} times, "
                "its maximum",
            )
        )
        return None
    return row


@dataclass(frozen=True, slots=True)
class Granted:
    """The discounts a new contract (or a quote) gets, each with where it came from."""

    discounts: tuple[tuple[Discount, str, int | None], ...]

    @property
    def terms(self) -> tuple[Discount, ...]:
        return tuple(d for d, _, _ in self.discounts)


async def granted_discounts(
    read: Reader,
    plan_id: int,
    plan: models.Plan,
    given: DiscountFields,
    errors: list[Problem],
    *,
    defaults: Callable[[int], Awaitable[Sequence[Discount]]] | None = None,
) -> Granted:
    """Plan defaults (unless opted out: read by `defaults` when given, else with `read`),
    the input's own discounts, the promotion code's."""
    out: list[tuple[Discount, str, int | None]] = []
    if given.apply_plan_discounts:
        if defaults is not None:
            out += [(d, "PLAN", None) for d in await defaults(plan_id)]
        else:
            rows = await plan_discounts(read, plan_id)
            out += [(to_discount(r, r.key), "PLAN", None) for r in rows]
    taken = {d.key for d, _, _ in out}
    own = discounts_from_input(given.discounts, ("discounts",), plan, errors)
    for index, d in enumerate(own):
        if d.key in taken:
            errors.append(_taken(("discounts", index, "key"), d.key))
        out.append((d, "CONTRACT", None))
    taken |= {d.key for d in own}
    if given.promotion_code is not None:
        row = await usable_code(read, given.promotion_code, ("promotion_code",), errors)
        if row is not None:
            assert row.id is not None
            if row.code in taken:
                errors.append(_taken(("promotion_code",), row.code))
            prices = {p.key for ramp in plan.ramps for p in ramp.prices}
            missing = [k for k in row.price_keys if k not in prices]
            if missing:
                errors.append(
                    problem(
                        ("promotion_code",),
                        ErrorCode.INVALID_VALUE,
                        f"promotion code {row.code} is for prices this plan does not have: "
                        f"{', '.join(missing)}",
                    )
                )
            out.append((to_discount(row, row.code), "PROMOTION_CODE", row.id))
    return Granted(tuple(out))


def _taken(path: Path, key: str) -> Problem:
    return problem(path, ErrorCode.DUPLICATE_KEY, f"the contract already has a discount {key!r}")


async def write_granted(session: AsyncSession, contract_id: int, granted: Granted) -> None:
    """Store a new contract's discounts and redeem its promotion code (at most once per
    contract): the redemption is counted in the contract's transaction, or refused."""
    for *_, code_id in granted.discounts:
        if code_id is None:
            continue
        last = await claim_redemption(session, code_id)
        if last is None:
            raise refuse(
                ("promotion_code",),
                ErrorCode.PROMOTION_CODE_EXHAUSTED,
                "the promotion code was redeemed its maximum number of times",
            )
        if last:  # anonymous quotes with this code, kept by the public cache, are stale now
            await bump_catalog_version(session)
        await record_redemption(session, code_id, contract_id)
    await add_contract_discounts(session, contract_id, granted.discounts, 1)


@dataclass(frozen=True, slots=True)
class Amended:
    """A contract's discounts after an amendment: `terms` for the rating core's check, the
    new ones to add and the expiries to set (by key)."""

    terms: tuple[Discount, ...]
    added: tuple[Discount, ...]
    ended: tuple[tuple[str, date], ...]


def amended_discounts(
    current: tuple[Discount, ...], given: AmendFields, plan: models.Plan, errors: list[Problem]
) -> Amended:
    """amendContract's `addDiscounts` (each needs `starts`: a discount added later does not
    reach back to periods already invoiced) and `endDiscounts`."""
    added = discounts_from_input(given.add_discounts, ("add_discounts",), plan, errors)
    keys = {d.key for d in current}
    for index, d in enumerate(added):
        if d.starts is None:
            errors.append(
                problem(
                    ("add_discounts", index, "starts"),
                    ErrorCode.REQUIRED,
                    "a discount added by amendment needs its first day",
                )
            )
        if d.key in keys:
            errors.append(_taken(("add_discounts", index, "key"), d.key))
    by_key = {d.key: d for d in current}
    ended: list[tuple[str, date]] = []
    if len(given.end_discounts) > MAX_DISCOUNTS:  # a contract has at most that many to end
        errors.append(
            problem(("end_discounts",), ErrorCode.INVALID_VALUE, f"at most {MAX_DISCOUNTS}")
        )
        return Amended(current + added, added, ())
    for index, item in enumerate(given.end_discounts):
        found = by_key.get(item.key)
        if found is None:
            errors.append(
                problem(
                    ("end_discounts", index, "key"),
                    ErrorCode.NOT_FOUND,
                    f"the contract has no discount {item.key!r}",
                )
            )
            continue
        if found.starts is not None and item.expires <= found.starts:
            errors.append(
                problem(
                    ("end_discounts", index, "expires"),
                    ErrorCode.INVALID_DATES,
                    f"the discount starts {found.starts}; end it after that",
                )
            )
        ended.append((item.key, item.expires))
        by_key[item.key] = replace(found, expires=item.expires)
    return Amended(tuple(by_key.values()) + added, added, tuple(ended))


async def write_amended_discounts(
    session: AsyncSession, contract_id: int, amended: Amended, revision: int
) -> None:
    for key, expires in amended.ended:
        await end_contract_discount(session, contract_id, key, expires)
    if amended.added:
        await add_contract_discounts(
            session, contract_id, [(d, "CONTRACT", None) for d in amended.added], revision
        )
