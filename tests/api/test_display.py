"""Pricing-page text for every kind of price: exact strings, en_US first, then other locales."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pricing_graph.api.catalog.display import UnknownLocale, display_price, format_amount
from pricing_graph.rating.models import (
    Aggregation,
    BillingInterval,
    CompositeKind,
    CompositePrice,
    DimensionRate,
    FixedCadence,
    FixedPrice,
    Metric,
    PackageRounding,
    PricingModel,
    PricingUnit,
    Rate,
    Tier,
    UsagePrice,
)

D = Decimal
NBSP = "\u00a0"
NNBSP = "\u202f"
TIMES = "\u00d7"

USD = PricingUnit("USD", 2)
EUR = PricingUnit("EUR", 2)
JPY = PricingUnit("JPY", 0)
CCU = PricingUnit("CCU", 2, invoice_currency="USD", overage_rate=D("0.10"))


def metric(label: str) -> Metric:
    return Metric(key=label, name=label, unit_label=label, aggregation=Aggregation.SUM)


def usage(
    rate: Rate | None,
    label: str = "tokens",
    *,
    factor: str = "1",
    free: str = "0",
    dimension_rates: tuple[DimensionRate, ...] = (),
) -> UsagePrice:
    return UsagePrice(
        key="p",
        name="p",
        display_name="P",
        metric=metric(label),
        rate=rate,
        dimension_rates=dimension_rates,
        conversion_factor=D(factor),
        free_units=D(free),
    )


def flat(price: str) -> Rate:
    return Rate(PricingModel.FLAT, unit_price=D(price))


def tiers(model: PricingModel, *spec: tuple[str | None, str, str]) -> Rate:
    return Rate(
        model,
        tiers=tuple(
            Tier(up_to=None if up is None else D(up), unit_price=D(p), flat_fee=D(fee))
            for up, p, fee in spec
        ),
    )


def fixed(amount: str, **kwargs: object) -> FixedPrice:
    return FixedPrice(key="f", name="f", display_name="F", amount=D(amount), **kwargs)  # type: ignore[arg-type]


def composite(kind: CompositeKind, value: str, *keys: str) -> CompositePrice:
    return CompositePrice(
        key="c", name="c", display_name="C", composite=kind, value=D(value), price_keys=keys
    )


# -- format_amount ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.002", "$0.002"),
        ("0.0020", "$0.002"),
        ("0.1", "$0.10"),
        ("5", "$5.00"),
        ("1000", "$1,000.00"),
        ("1234.5678", "$1,234.5678"),
        ("0.000000000001", "$0.000000000001"),
        ("0", "$0.00"),
        ("-0", "$0.00"),
        ("-100", "-$100.00"),
        ("1E+3", "$1,000.00"),
    ],
)
def test_format_amount_usd_keeps_significant_digits(amount: str, expected: str) -> None:
    assert format_amount(D(amount), USD) == expected


def test_format_amount_other_locales() -> None:
    assert format_amount(D("1234.5"), EUR, "de_DE") == f"1.234,50{NBSP}€"
    assert format_amount(D("0.002"), USD, "de_DE") == f"0,002{NBSP}$"
    assert format_amount(D("-100"), EUR, "fr_FR") == f"-100,00{NBSP}€"
    assert format_amount(D("1234.5"), EUR, "fr_FR") == f"1{NNBSP}234,50{NBSP}€"


def test_format_amount_jpy_has_no_minor_digits() -> None:
    assert format_amount(D("1000"), JPY, "ja_JP") == "￥1,000"
    assert format_amount(D("1000.00"), JPY, "ja_JP") == "￥1,000"
    assert format_amount(D("0.5"), JPY, "ja_JP") == "￥0.5"
    assert format_amount(D("1000"), JPY, "en_US") == "¥1,000"


def test_format_amount_custom_unit_is_number_and_code() -> None:
    assert format_amount(D("0.5"), CCU) == f"0.5{NBSP}CCU"
    assert format_amount(D("0.50"), CCU) == f"0.5{NBSP}CCU"
    assert format_amount(D("1000"), CCU) == f"1,000{NBSP}CCU"
    assert format_amount(D("1234.5"), CCU, "de_DE") == f"1.234,5{NBSP}CCU"
    assert format_amount(D("-3"), CCU) == f"-3{NBSP}CCU"


def test_format_amount_rejects_non_finite_numbers() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        format_amount(D("NaN"), USD)


# -- locales ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "locale", ["xx_YY", "not a locale", "", "en_ZZ", "und", "de_DE.UTF-8", "en_us", "EN_US"]
)
def test_unknown_locale_raises_unknown_locale_naming_it(locale: str) -> None:
    with pytest.raises(UnknownLocale) as info:
        display_price(usage(flat("1")), USD, locale)
    assert repr(locale) in str(info.value)
    assert info.value.locale == locale
    assert isinstance(info.value, ValueError)


def test_unknown_locale_from_format_amount_too() -> None:
    with pytest.raises(UnknownLocale, match="'xx_YY'"):
        format_amount(D("1"), USD, "xx_YY")


def test_unknown_locale_is_not_babels_exception() -> None:
    from babel import UnknownLocaleError

    with pytest.raises(UnknownLocale) as info:
        format_amount(D("1"), USD, "xx_YY")
    assert not isinstance(info.value, UnknownLocaleError)


def test_locale_accepts_bcp47_hyphen_and_language_only() -> None:
    assert format_amount(D("5"), USD, "en-GB") == "US$5.00"
    assert format_amount(D("5"), EUR, "de") == f"5,00{NBSP}€"
    assert format_amount(D("5"), USD, "zh_Hant_TW") == "US$5.00"


# -- usage: flat, conversion, free units ----------------------------------------------------


def test_flat_per_thousand_tokens() -> None:
    assert display_price(usage(flat("0.002"), factor="1000"), USD) == "$0.002 per 1K tokens"


def test_flat_factor_one_uses_label_as_is() -> None:
    price = usage(flat("0.05"), "query-second")
    assert display_price(price, USD) == "$0.05 per query-second"


def test_flat_per_million() -> None:
    price = usage(flat("1.5"), factor="1000000")
    assert display_price(price, USD) == "$1.50 per 1M tokens"


@pytest.mark.parametrize(
    ("factor", "expected"),
    [
        ("1024", "$0.01 per 1,024 bytes"),
        ("1500", "$0.01 per 1,500 bytes"),
        ("2000", "$0.01 per 2K bytes"),
        ("2500000", "$0.01 per 2,500K bytes"),
        ("1000000000", "$0.01 per 1,000M bytes"),
    ],
)
def test_factor_abbreviation_only_for_exact_multiples(factor: str, expected: str) -> None:
    assert display_price(usage(flat("0.01"), "bytes", factor=factor), USD) == expected


def test_free_units_are_in_converted_units() -> None:
    price = usage(flat("0.002"), factor="1000", free="10")
    assert display_price(price, USD) == "$0.002 per 1K tokens, first 10K tokens free"


def test_free_units_not_exact_multiple() -> None:
    price = usage(flat("0.002"), factor="1000", free="1.5")
    assert display_price(price, USD) == "$0.002 per 1K tokens, first 1,500 tokens free"


def test_free_units_without_factor_are_written_out() -> None:
    price = usage(flat("0.10"), "GB", free="5000")
    assert display_price(price, USD) == "$0.10 per GB, first 5,000 GB free"


def test_flat_hourly_price_seed_example() -> None:
    assert display_price(usage(flat("5"), "hour"), USD) == "$5.00 per hour"


def test_usage_without_any_rate_is_an_error() -> None:
    with pytest.raises(ValueError, match="neither a rate nor dimension rates"):
        display_price(usage(None), USD)


# -- tiered (graduated) ------------------------------------------------------------------------

TIERED = PricingModel.TIERED
VOLUME = PricingModel.VOLUME


def test_tiered_two_tiers() -> None:
    rate = tiers(TIERED, ("1000", "0.10", "0"), (None, "0.09", "0"))
    assert display_price(usage(rate, "GB"), USD) == "First 1,000 GB $0.10/GB, then $0.09/GB"


def test_tiered_three_tiers() -> None:
    rate = tiers(TIERED, ("1000", "0.10", "0"), ("10000", "0.09", "0"), (None, "0.08", "0"))
    assert display_price(usage(rate, "GB"), USD) == (
        "First 1,000 GB $0.10/GB, next 9,000 GB $0.09/GB, then $0.08/GB"
    )


def test_tiered_flat_fees() -> None:
    rate = tiers(TIERED, ("1000", "0.10", "5"), (None, "0.09", "2.5"))
    assert display_price(usage(rate, "GB"), USD) == (
        "First 1,000 GB $0.10/GB + $5.00, then $0.09/GB + $2.50"
    )


def test_tiered_free_and_fee_only_tiers() -> None:
    rate = tiers(TIERED, ("100", "0", "0"), ("1000", "0", "20"), (None, "0.09", "0"))
    assert display_price(usage(rate, "GB"), USD) == (
        "First 100 GB free, next 900 GB $20.00 flat, then $0.09/GB"
    )


def test_tiered_single_unbounded_tier() -> None:
    rate = tiers(TIERED, (None, "0.10", "0"))
    assert display_price(usage(rate, "GB"), USD) == "$0.10/GB"


def test_tiered_with_conversion_factor_shows_raw_units() -> None:
    rate = tiers(TIERED, ("1000", "0.002", "0"), ("1500", "0.0015", "0"), (None, "0.001", "0"))
    assert display_price(usage(rate, factor="1000"), USD) == (
        "First 1M tokens $0.002/1K tokens, next 500K tokens $0.0015/1K tokens, "
        "then $0.001/1K tokens"
    )


def test_tiered_without_tiers_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one tier"):
        display_price(usage(Rate(TIERED), "GB"), USD)


# -- volume --------------------------------------------------------------------------------


def test_volume_two_tiers() -> None:
    rate = tiers(VOLUME, ("1000", "0.10", "0"), (None, "0.09", "0"))
    assert display_price(usage(rate, "GB"), USD) == (
        "$0.10/GB up to 1,000 GB, $0.09/GB above 1,000 GB (all units at the reached tier's price)"
    )


def test_volume_three_tiers_with_fee() -> None:
    rate = tiers(VOLUME, ("1000", "0.10", "0"), ("10000", "0.09", "50"), (None, "0.08", "0"))
    assert display_price(usage(rate, "GB"), USD) == (
        "$0.10/GB up to 1,000 GB, $0.09/GB + $50.00 up to 10,000 GB, "
        "$0.08/GB above 10,000 GB (all units at the reached tier's price)"
    )


def test_volume_single_unbounded_tier() -> None:
    rate = tiers(VOLUME, (None, "0.10", "0"))
    assert display_price(usage(rate, "GB"), USD) == "$0.10/GB"


# -- package, percentage, dynamic ---------------------------------------------------------------


def test_package() -> None:
    rate = Rate(PricingModel.PACKAGE, package_size=D(10), package_price=D("0.80"))
    assert display_price(usage(rate, "units"), USD) == "$0.80 per 10 units"


def test_package_rounding_down_and_factor() -> None:
    rate = Rate(
        PricingModel.PACKAGE,
        package_size=D(10),
        package_price=D("0.80"),
        package_rounding=PackageRounding.DOWN,
    )
    assert display_price(usage(rate, factor="1000"), USD) == (
        "$0.80 per 10K tokens (partial packages free)"
    )


def test_package_without_size_is_an_error() -> None:
    with pytest.raises(ValueError, match="package_size and package_price"):
        display_price(usage(Rate(PricingModel.PACKAGE), "units"), USD)


def percentage(**kwargs: str) -> Rate:
    return Rate(PricingModel.PERCENTAGE, **{k: D(v) for k, v in kwargs.items()})  # type: ignore[arg-type]


def test_percentage_full() -> None:
    rate = percentage(
        rate_percent="2.9", fixed_fee_per_event="0.30", min_per_event="0.30", max_per_event="100"
    )
    assert display_price(usage(rate, "USD"), USD) == (
        "2.9% + $0.30 per transaction, min $0.30, max $100.00"
    )


def test_percentage_omits_absent_and_zero_parts() -> None:
    rate = percentage(rate_percent="2.9", min_per_event="0")
    assert display_price(usage(rate, "USD"), USD) == "2.9% per transaction"


def test_percentage_fee_only_and_free_amount() -> None:
    rate = percentage(fixed_fee_per_event="0.25", free_amount="1000")
    assert display_price(usage(rate, "USD"), USD) == (
        "$0.25 per transaction, first $1,000.00 of transactions free"
    )


def test_percentage_de_de() -> None:
    rate = percentage(rate_percent="2.9", fixed_fee_per_event="0.30", max_per_event="100")
    assert display_price(usage(rate, "EUR"), EUR, "de_DE") == (
        f"2,9{NBSP}% + 0,30{NBSP}€ per transaction, max 100,00{NBSP}€"
    )


def test_dynamic() -> None:
    assert display_price(usage(Rate(PricingModel.DYNAMIC, markup_percent=D(15))), USD) == (
        "Cost plus 15%"
    )
    assert display_price(usage(Rate(PricingModel.DYNAMIC, markup_percent=D("12.5"))), USD) == (
        "Cost plus 12.5%"
    )
    assert display_price(usage(Rate(PricingModel.DYNAMIC)), USD) == "At cost"
    assert display_price(usage(Rate(PricingModel.DYNAMIC, markup_percent=D(-10))), USD) == (
        "Cost minus 10%"
    )


# -- dimension rates (rate cards) ------------------------------------------------------------


def test_rate_card() -> None:
    price = usage(
        None,
        "token",
        dimension_rates=(
            DimensionRate(match=(("model", "gpt-4"),), rate=flat("0.03")),
            DimensionRate(match=(("model", "gpt-3.5"),), rate=flat("0.002")),
        ),
    )
    assert display_price(price, USD) == "gpt-4: $0.03 per token; gpt-3.5: $0.002 per token"


def test_rate_card_multi_match_default_last_and_free_units() -> None:
    price = usage(
        flat("0.001"),
        "tokens",
        factor="1000",
        free="10",
        dimension_rates=(
            DimensionRate(match=(("model", "gpt-4"), ("region", "eu")), rate=flat("0.04")),
            DimensionRate(match=(("model", "gpt-4"),), rate=flat("0.03")),
        ),
    )
    assert display_price(price, USD) == (
        "gpt-4 / eu: $0.04 per 1K tokens; gpt-4: $0.03 per 1K tokens; "
        "other: $0.001 per 1K tokens; first 10K tokens free"
    )


# -- fixed prices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (BillingInterval.BIWEEKLY, "$49.00 per 2 weeks"),
        (BillingInterval.MONTHLY, "$49.00 per month"),
        (BillingInterval.QUARTERLY, "$49.00 per quarter"),
        (BillingInterval.SEMIANNUAL, "$49.00 per half-year"),
        (BillingInterval.ANNUAL, "$49.00 per year"),
    ],
)
def test_fixed_recurring_period_words(interval: BillingInterval, expected: str) -> None:
    assert display_price(fixed("49"), USD, "en_US", interval) == expected


def test_fixed_defaults_to_monthly() -> None:
    assert display_price(fixed("49"), USD) == "$49.00 per month"


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (BillingInterval.BIWEEKLY, "$49.00 every 6 weeks"),
        (BillingInterval.MONTHLY, "$49.00 every 3 months"),
        (BillingInterval.QUARTERLY, "$49.00 every 3 quarters"),
        (BillingInterval.SEMIANNUAL, "$49.00 every 18 months"),
        (BillingInterval.ANNUAL, "$49.00 every 3 years"),
    ],
)
def test_fixed_every_n_periods(interval: BillingInterval, expected: str) -> None:
    assert display_price(fixed("49", every_periods=3), USD, interval=interval) == expected


def test_fixed_quantity() -> None:
    assert display_price(fixed("5", quantity=D(10)), USD) == f"10 {TIMES} $5.00 per month"
    assert display_price(fixed("5", quantity=D("2.5")), USD) == f"2.5 {TIMES} $5.00 per month"


def test_fixed_one_time() -> None:
    price = fixed("500", cadence=FixedCadence.ONE_TIME)
    assert display_price(price, USD, interval=BillingInterval.ANNUAL) == "$500.00 one-time"


def test_fixed_discount_is_negative() -> None:
    price = fixed("-100", is_discount=True)
    assert display_price(price, USD) == "-$100.00 per month"
    assert display_price(price, EUR, "de_DE") == f"-100,00{NBSP}€ per month"


# -- composites -------------------------------------------------------------------------------


def test_composite_percentage() -> None:
    assert display_price(composite(CompositeKind.PERCENTAGE, "10", "base", "storage"), USD) == (
        "+10% of base, storage"
    )
    assert display_price(composite(CompositeKind.PERCENTAGE, "-5", "base"), USD) == ("-5% of base")
    assert display_price(composite(CompositeKind.PERCENTAGE, "-5", "base"), USD, "de_DE") == (
        f"-5{NBSP}% of base"
    )


def test_composite_minimum() -> None:
    price = composite(CompositeKind.MINIMUM, "1000", "cpu", "storage")
    assert display_price(price, USD) == "Minimum $1,000.00 across cpu, storage"


# -- other locales, JPY and custom units ------------------------------------------------------


def test_de_de_flat_tokens() -> None:
    price = usage(flat("0.002"), factor="1000", free="10")
    assert display_price(price, USD, "de_DE") == (
        f"0,002{NBSP}$ per 1K tokens, first 10K tokens free"
    )


def test_de_de_tiered_uses_locale_grouping_and_abbreviation() -> None:
    rate = tiers(TIERED, ("1000", "0.10", "0"), (None, "0.09", "0"))
    assert display_price(usage(rate, "GB"), EUR, "de_DE") == (
        f"First 1.000 GB 0,10{NBSP}€/GB, then 0,09{NBSP}€/GB"
    )
    assert display_price(usage(flat("1"), "bytes", factor="1500000"), EUR, "de_DE") == (
        f"1,00{NBSP}€ per 1.500K bytes"
    )


def test_fr_fr_fixed() -> None:
    assert display_price(fixed("1234.5"), EUR, "fr_FR") == f"1{NNBSP}234,50{NBSP}€ per month"


def test_ja_jp_jpy() -> None:
    assert display_price(fixed("5000"), JPY, "ja_JP") == "￥5,000 per month"
    rate = tiers(TIERED, ("1000", "10", "0"), (None, "8", "0"))
    assert display_price(usage(rate, "GB"), JPY, "ja_JP") == ("First 1,000 GB ￥10/GB, then ￥8/GB")
    assert display_price(usage(flat("0.3"), factor="1000"), JPY, "ja_JP") == ("￥0.3 per 1K tokens")


def test_custom_unit_ccu() -> None:
    assert display_price(usage(flat("0.5"), "query-second"), CCU) == (
        f"0.5{NBSP}CCU per query-second"
    )
    assert display_price(fixed("1000"), CCU) == f"1,000{NBSP}CCU per month"
    rate = tiers(TIERED, ("1000", "0.5", "0"), (None, "0.25", "0"))
    assert display_price(usage(rate, "GB"), CCU, "de_DE") == (
        f"First 1.000 GB 0,5{NBSP}CCU/GB, then 0,25{NBSP}CCU/GB"
    )
