"""Amounts of money as text: integers in a currency's smallest unit, shown with that
currency's own number of decimals (ISO 4217, as Stripe takes them: 500 JPY is ¥500, not 5.00).

Every price, payout and cost is stored as an integer of the smallest unit (`*_cents` columns:
cents for USD, yen for JPY, fils for KWD); only these functions turn one into text.
"""

from __future__ import annotations

# Currencies with no minor unit (Stripe's zero-decimal currencies), and those with three.
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}


def minor_digits(currency: str) -> int:
    """How many decimals the currency's amounts have (2 for most)."""
    code = currency.lower()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def decimal_text(amount: int, currency: str) -> str:
    """1234, "usd" -> "12.34"; 500, "jpy" -> "500"; -5, "usd" -> "-0.05"."""
    digits = minor_digits(currency)
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 10**digits)
    return f"{sign}{whole}.{part:0{digits}d}" if digits else f"{sign}{whole}"


def money_text(amount: int, currency: str) -> str:
    """1234, "usd" -> "12.34 USD" (for logs, the CLI and statements)."""
    return f"{decimal_text(amount, currency)} {currency.upper()}"


def money_label(amount: int, currency: str) -> str:
    """1234, "usd" -> "$12.34"; -150, "eur" -> "-€1.50"; 500, "jpy" -> "¥500"; 1234, "chf"
    -> "12.34 CHF" (for pages)."""
    symbol = SYMBOLS.get(currency.lower())
    if symbol is None:
        return money_text(amount, currency)
    text = decimal_text(amount, currency)
    return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
