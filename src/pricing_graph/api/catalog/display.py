"""Human-readable price text for the public pricing page (`Price.displayPrice(locale)`).

`display_price` renders one catalog price as a short sentence ("$0.002 per 1K tokens",
"First 1,000 GB $0.10/GB, then $0.09/GB", "$49.00 per month"); `format_amount` renders one
amount in a pricing unit. Both are pure: they take the frozen rating values and a locale.

Localisation: numbers, currency symbols, percent signs and separators come from babel
(CLDR) for the requested locale, so de_DE shows "0,002\u00a0$" where en_US shows "$0.002";
the words around them ("per", "First", "then", "one-time", "K"/"M") stay English in every
locale. Text uses babel's output verbatim, including its non-breaking spaces.

Rules worth knowing:

- Locales are CLDR identifiers, "en_US" style ("en-US" is accepted too). Anything babel
  does not know, does not parse, or would silently replace by another locale ("en_ZZ"
  becomes en_US in babel) raises `UnknownLocale`.
- Amounts never lose significant digits: a currency amount shows at least the pricing
  unit's minor digits (`PricingUnit.decimals`: "$5.00", "¥1,000") and more when the value
  has them ("$0.002"); zeros past the minor digits are dropped. A custom pricing unit
  (CCU, credits) shows the number's significant digits followed by its code, joined by a
  non-breaking space: "0.5\u00a0CCU", "1,000\u00a0CCU".
- Unit labels (`Metric.unit_label`) are used verbatim, never pluralised: "per GB",
  "first 10K tokens free".
- A usage price's `conversion_factor` is how many raw metric units one priced unit holds:
  factor 1000 on "tokens" reads "per 1K tokens". Quantities the page shows (free units,
  tier bounds, package sizes) are in priced units in the model and are shown in raw units,
  multiplied by the factor: `free_units=10` with factor 1000 reads "first 10K tokens free".
- K/M abbreviation: the factor itself is always abbreviated when it is an exact multiple
  of 1,000 ("1K") or 1,000,000 ("1M"), else written out ("1,024 bytes"). Other quantities
  are abbreviated the same way only when the price has a conversion factor (raw units are
  then small ones, like tokens or bytes); with factor 1 they are written out in full, so
  tiers read "First 1,000 GB", not "First 1K GB".
- Fixed prices need the plan's billing interval for their period word ("per month",
  "every 3 quarters"); pass it as `interval`. A SEMIANNUAL charge every N periods reads
  "every 6N months" and a BIWEEKLY one "every 2N weeks".
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberPattern, get_plus_sign_symbol

from pricing_graph.rating.models import (
    ONE,
    ZERO,
    BillingInterval,
    CompositeKind,
    CompositePrice,
    FixedCadence,
    FixedPrice,
    PackageRounding,
    Price,
    PricingModel,
    PricingUnit,
    Rate,
    Tier,
    UsagePrice,
)

__all__ = ["UnknownLocale", "display_price", "format_amount"]

DEFAULT_LOCALE = "en_US"

_THOUSAND = Decimal(1000)
_MILLION = Decimal(1_000_000)
_HUNDRED = Decimal(100)
_NBSP = "\u00a0"
_TIMES = "\u00d7"  # multiplication sign

# language, optional script, optional territory (two letters or a UN M.49 region number)
_LOCALE_RE = re.compile(r"([a-z]{2,3})(?:[_-]([A-Z][a-z]{3}))?(?:[_-]([A-Z]{2}|[0-9]{3}))?")

_PERIOD: dict[BillingInterval, str] = {
    BillingInterval.BIWEEKLY: "2 weeks",
    BillingInterval.WEEKLY: "week",
    BillingInterval.MONTHLY: "month",
    BillingInterval.QUARTERLY: "quarter",
    BillingInterval.SEMIANNUAL: "half-year",
    BillingInterval.ANNUAL: "year",
}

# every N periods: (multiplier, plural word)
_EVERY: dict[BillingInterval, tuple[int, str]] = {
    BillingInterval.BIWEEKLY: (2, "weeks"),
    BillingInterval.WEEKLY: (1, "weeks"),
    BillingInterval.MONTHLY: (1, "months"),
    BillingInterval.QUARTERLY: (1, "quarters"),
    BillingInterval.SEMIANNUAL: (6, "months"),
    BillingInterval.ANNUAL: (1, "years"),
}


class UnknownLocale(ValueError):
    """The locale is malformed or unknown to babel (CLDR)."""

    def __init__(self, locale: str) -> None:
        super().__init__(
            f"unknown locale {locale!r}: use a CLDR locale identifier such as "
            "'en_US', 'de_DE', 'fr_FR' or 'ja_JP'"
        )
        self.locale = locale


def display_price(
    price: Price,
    unit: PricingUnit,
    locale: str = DEFAULT_LOCALE,
    interval: BillingInterval = BillingInterval.MONTHLY,
) -> str:
    """The pricing-page text for `price`, whose amounts are in `unit`.

    `interval` is the plan's billing interval; only fixed prices use it (their period
    word). Raises `UnknownLocale` for a locale babel does not know.
    """
    fmt = _Formatter(_parse_locale(locale), unit)
    if isinstance(price, UsagePrice):
        return _usage_text(price, fmt)
    if isinstance(price, FixedPrice):
        return _fixed_text(price, fmt, interval)
    return _composite_text(price, fmt)


def format_amount(amount: Decimal, unit: PricingUnit, locale: str = DEFAULT_LOCALE) -> str:
    """`amount` in `unit`, locale-formatted, keeping every significant digit.

    A currency shows at least `unit.decimals` fraction digits ("$5.00", "$0.002",
    "-$100.00"); a custom unit shows the number and its code ("0.5\u00a0CCU").
    """
    return _Formatter(_parse_locale(locale), unit).amount(amount)


# -- locale and numbers ----------------------------------------------------------------


def _parse_locale(identifier: str) -> Locale:
    if not isinstance(identifier, str):
        raise UnknownLocale(repr(identifier))
    return _cached_locale(identifier)


@lru_cache(maxsize=64)
def _cached_locale(identifier: str) -> Locale:
    match = _LOCALE_RE.fullmatch(identifier)
    if match is None:
        raise UnknownLocale(identifier)
    canonical = "_".join(part for part in match.groups() if part)
    try:
        parsed = Locale.parse(canonical)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise UnknownLocale(identifier) from exc
    if str(parsed) != canonical:  # babel substituted a likely locale ("en_ZZ" -> en_US)
        raise UnknownLocale(identifier)
    return parsed


def _fraction_digits(value: Decimal) -> int:
    """How many fraction digits `value` needs to keep all its significant digits."""
    if not value.is_finite():
        raise ValueError(f"cannot display the non-finite number {value}")
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _with_fraction(pattern: NumberPattern, digits: int) -> NumberPattern:
    exact = copy.copy(pattern)
    exact.frac_prec = (digits, digits)
    return exact


def _clean(value: Decimal) -> Decimal:
    """`value` without a negative zero (babel would print "-0")."""
    return ZERO if value.is_zero() else value


@dataclass(frozen=True, slots=True)
class _Formatter:
    locale: Locale
    unit: PricingUnit

    def number(self, value: Decimal) -> str:
        """A plain locale-formatted number with its significant digits: "1,500", "0.5"."""
        pattern = self.locale.decimal_formats[None]
        digits = _fraction_digits(value)
        return str(_with_fraction(pattern, digits).apply(_clean(value), self.locale))

    def count(self, value: Decimal, *, abbreviate: bool) -> str:
        """A quantity, as "1K" / "1M" when `abbreviate` and it is an exact multiple."""
        if abbreviate and not value.is_zero():
            if value % _MILLION == 0:
                return f"{self.number(value / _MILLION)}M"
            if value % _THOUSAND == 0:
                return f"{self.number(value / _THOUSAND)}K"
        return self.number(value)

    def percent(self, value: Decimal, *, signed: bool = False) -> str:
        """`value` percent ("2.9%", "15 %" in de_DE); `signed` adds "+" to positives."""
        pattern = self.locale.percent_formats[None]
        digits = _fraction_digits(value)
        text = str(_with_fraction(pattern, digits).apply(_clean(value) / _HUNDRED, self.locale))
        if signed and value > 0:
            return f"{get_plus_sign_symbol(self.locale)}{text}"
        return text

    def amount(self, value: Decimal) -> str:
        value = _clean(value)
        if self.unit.is_custom:
            return f"{self.number(value)}{_NBSP}{self.unit.code}"
        digits = max(self.unit.decimals, _fraction_digits(value))
        pattern = _with_fraction(self.locale.currency_formats["standard"], digits)
        return str(
            pattern.apply(value, self.locale, currency=self.unit.code, currency_digits=False)
        )


# -- usage prices ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Units:
    """How a usage price's quantities read: `per` is one priced unit ("GB", "1K tokens");
    `of(q)` is q priced units in raw metric units ("1,000 GB", "10K tokens")."""

    per: str
    of: Callable[[Decimal], str]


def _usage_units(price: UsagePrice, fmt: _Formatter) -> _Units:
    label = price.metric.unit_label
    factor = price.conversion_factor
    if factor == ONE:
        return _Units(per=label, of=lambda q: f"{fmt.count(q, abbreviate=False)} {label}")
    return _Units(
        per=f"{fmt.count(factor, abbreviate=True)} {label}",
        of=lambda q: f"{fmt.count(q * factor, abbreviate=True)} {label}",
    )


def _usage_text(price: UsagePrice, fmt: _Formatter) -> str:
    units = _usage_units(price, fmt)
    if price.dimension_rates:
        entries = [
            f"{_match_label(entry.match)}: {_rate_text(entry.rate, fmt, units)}"
            for entry in price.dimension_rates
        ]
        if price.rate is not None:
            entries.append(f"other: {_rate_text(price.rate, fmt, units)}")
        text, free_sep = "; ".join(entries), "; "
    elif price.rate is not None:
        text, free_sep = _rate_text(price.rate, fmt, units), ", "
    else:
        raise ValueError(f"usage price {price.key!r} has neither a rate nor dimension rates")
    if price.free_units > ZERO:
        text += f"{free_sep}first {units.of(price.free_units)} free"
    return text


def _match_label(match: tuple[tuple[str, str], ...]) -> str:
    return " / ".join(value for _, value in match) or "any"


def _rate_text(rate: Rate, fmt: _Formatter, units: _Units) -> str:
    model = rate.model
    if model is PricingModel.FLAT:
        return f"{fmt.amount(rate.unit_price)} per {units.per}"
    if model is PricingModel.TIERED:
        return _graduated_text(_tiers(rate), fmt, units)
    if model is PricingModel.VOLUME:
        return _volume_text(_tiers(rate), fmt, units)
    if model is PricingModel.PACKAGE:
        return _package_text(rate, fmt, units)
    if model is PricingModel.PERCENTAGE:
        return _percentage_text(rate, fmt)
    return _dynamic_text(rate, fmt)


def _tiers(rate: Rate) -> tuple[Tier, ...]:
    if not rate.tiers:
        raise ValueError(f"a {rate.model.value} rate needs at least one tier")
    return rate.tiers


def _tier_price(tier: Tier, fmt: _Formatter, units: _Units) -> str:
    """ "$0.10/GB", "$0.10/GB + $5.00", "$5.00 flat" or "free"."""
    if tier.unit_price.is_zero():
        return f"{fmt.amount(tier.flat_fee)} flat" if tier.flat_fee else "free"
    text = f"{fmt.amount(tier.unit_price)}/{units.per}"
    if tier.flat_fee:
        text += f" + {fmt.amount(tier.flat_fee)}"
    return text


def _graduated_text(tiers: tuple[Tier, ...], fmt: _Formatter, units: _Units) -> str:
    """ "First 1,000 GB $0.10/GB, next 9,000 GB $0.09/GB, then $0.08/GB"."""
    parts: list[str] = []
    previous = ZERO
    for index, tier in enumerate(tiers):
        price = _tier_price(tier, fmt, units)
        if tier.up_to is None:
            parts.append(price if index == 0 else f"then {price}")
            break
        lead = "First" if index == 0 else "next"
        parts.append(f"{lead} {units.of(tier.up_to - previous)} {price}")
        previous = tier.up_to
    return ", ".join(parts)


def _volume_text(tiers: tuple[Tier, ...], fmt: _Formatter, units: _Units) -> str:
    """ "$0.10/GB up to 1,000 GB, $0.09/GB above 1,000 GB (all units at the reached
    tier's price)"."""
    if len(tiers) == 1 and tiers[0].up_to is None:
        return _tier_price(tiers[0], fmt, units)
    parts: list[str] = []
    previous: Decimal | None = None
    for tier in tiers:
        price = _tier_price(tier, fmt, units)
        if tier.up_to is None:
            assert previous is not None
            parts.append(f"{price} above {units.of(previous)}")
            break
        parts.append(f"{price} up to {units.of(tier.up_to)}")
        previous = tier.up_to
    return f"{', '.join(parts)} (all units at the reached tier's price)"


def _package_text(rate: Rate, fmt: _Formatter, units: _Units) -> str:
    """ "$0.80 per 10 units"; DOWN rounding adds that partial packages are free."""
    if rate.package_size is None or rate.package_price is None:
        raise ValueError("a PACKAGE rate needs package_size and package_price")
    text = f"{fmt.amount(rate.package_price)} per {units.of(rate.package_size)}"
    if rate.package_rounding is PackageRounding.DOWN:
        text += " (partial packages free)"
    return text


def _percentage_text(rate: Rate, fmt: _Formatter) -> str:
    """ "2.9% + $0.30 per transaction, min $0.30, max $100.00"; absent or zero parts are
    left out (a zero maximum is kept: it caps every fee at nothing)."""
    head: list[str] = []
    if rate.rate_percent is not None:
        head.append(fmt.percent(rate.rate_percent))
    if rate.fixed_fee_per_event:
        head.append(fmt.amount(rate.fixed_fee_per_event))
    text = f"{' + '.join(head) or fmt.percent(ZERO)} per transaction"
    if rate.min_per_event:
        text += f", min {fmt.amount(rate.min_per_event)}"
    if rate.max_per_event is not None:
        text += f", max {fmt.amount(rate.max_per_event)}"
    if rate.free_amount > ZERO:
        text += f", first {fmt.amount(rate.free_amount)} of transactions free"
    if rate.free_events > 0:
        noun = "transaction" if rate.free_events == 1 else "transactions"
        text += f", first {rate.free_events:,} {noun} free"
    return text


def _dynamic_text(rate: Rate, fmt: _Formatter) -> str:
    """ "Cost plus 15%", "Cost minus 10%", or "At cost"."""
    markup = rate.markup_percent
    if markup.is_zero():
        return "At cost"
    word = "plus" if markup > 0 else "minus"
    return f"Cost {word} {fmt.percent(abs(markup))}"


# -- fixed and composite prices --------------------------------------------------------


def _fixed_text(price: FixedPrice, fmt: _Formatter, interval: BillingInterval) -> str:
    """ "$49.00 per month", "10 \u00d7 $5.00 every 3 months", "$500.00 one-time"."""
    text = fmt.amount(price.amount)
    if price.quantity != ONE:
        text = f"{fmt.number(price.quantity)} {_TIMES} {text}"
    if price.cadence is FixedCadence.ONE_TIME:
        return f"{text} one-time"
    if price.every_periods == 1:
        return f"{text} per {_PERIOD[interval]}"
    multiplier, word = _EVERY[interval]
    return f"{text} every {fmt.number(Decimal(price.every_periods * multiplier))} {word}"


def _composite_text(price: CompositePrice, fmt: _Formatter) -> str:
    """ "+10% of base, storage" or "Minimum $1,000.00 across cpu, storage"."""
    keys = ", ".join(price.price_keys)
    if price.composite is CompositeKind.MINIMUM:
        return f"Minimum {fmt.amount(price.value)} across {keys}"
    return f"{fmt.percent(price.value, signed=True)} of {keys}"
