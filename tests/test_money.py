"""Amounts in a currency's smallest unit shown with that currency's own decimals: 500 yen is
¥500 (what Stripe charges for `unit_amount=500` in JPY), not 5.00."""

from __future__ import annotations

import pytest

from reelmint.money import decimal_text, minor_digits, money_label, money_text


@pytest.mark.parametrize(
    ("amount", "currency", "text", "label"),
    [
        (400, "usd", "4.00 USD", "$4.00"),
        (5, "eur", "0.05 EUR", "€0.05"),
        (-150, "gbp", "-1.50 GBP", "-£1.50"),
        (500, "jpy", "500 JPY", "¥500"),
        (12000, "krw", "12000 KRW", "12000 KRW"),
        (1234, "kwd", "1.234 KWD", "1.234 KWD"),
        (1234, "chf", "12.34 CHF", "12.34 CHF"),
        (0, "usd", "0.00 USD", "$0.00"),
    ],
)
def test_each_currency_has_its_own_decimals(amount, currency, text, label):
    assert money_text(amount, currency) == text
    assert money_label(amount, currency) == label


def test_the_decimals_follow_iso_4217_as_stripe_takes_them():
    assert [minor_digits(c) for c in ("usd", "JPY", "bhd", "vnd")] == [2, 0, 3, 0]
    assert decimal_text(-7, "jpy") == "-7"
