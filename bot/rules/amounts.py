"""Parse user-typed money amounts into integer fen, and format fen for display.

Choices (docs/domain.md is silent on input syntax):
- Accepted: digits with an optional ``.d``/``.dd`` fraction; thousands commas only when
  correctly grouped (``1,800`` yes, ``18,00`` no, so European decimals are never misread);
  a leading ``¥``/``￥``/``RMB``/``CNY``/``人民币`` and a trailing ``元``/``块``/``圆``;
  full-width characters (NFKC). Spaces are allowed only around the currency marks.
- Chinese numerals (``一千八``), ``万`` shorthand and exponent/inf/nan forms are refused as
  ``not_a_number``: ``一千八`` vs ``一千零八`` is easy to get wrong, and a wrong amount in
  a signed agreement is worse than asking again.
- A minus sign is ``negative`` (checked before ``zero`` only when the value is non-zero).
- ``too_large`` is a technical sanity bound (``HARD_MAX_FEN``, 100 million yuan), not a
  domain figure; business ceilings come in through ``ceiling_fen`` (``above_ceiling``).
- Display style is always two decimals: ``¥1,800.00``.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from enum import StrEnum

HARD_MAX_FEN = 100_000_000 * 100
_MAX_INTEGER_DIGITS = 12  # checked before int() so huge inputs never hit big-int parsing

_PREFIX = re.compile(r"^(?:¥|RMB|CNY|人民币)\s*", re.IGNORECASE)
_SUFFIX = re.compile(r"\s*(?:元|块|圆|RMB|CNY)$", re.IGNORECASE)
_NUMBER = re.compile(r"(?P<int>\d+|\d{1,3}(?:,\d{3})+)(?:\.(?P<frac>\d+))?", re.ASCII)
_MINUS = ("-", "\u2212")  # hyphen-minus, U+2212; full-width minus NFKC-maps to "-"


class AmountErrorCode(StrEnum):
    """Why an amount was refused; handlers map each code to a user message."""

    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    ZERO = "zero"
    NEGATIVE = "negative"
    TOO_MANY_DECIMALS = "too_many_decimals"
    TOO_LARGE = "too_large"
    ABOVE_CEILING = "above_ceiling"


class AmountError(ValueError):
    """Raised by parse_amount with a machine-readable code."""

    def __init__(self, code: AmountErrorCode, *, ceiling_fen: int | None = None) -> None:
        super().__init__(code.value)
        self.code = code
        self.ceiling_fen = ceiling_fen


def parse_amount(text: str, *, ceiling_fen: int | None = None) -> int:
    """Parse a positive yuan amount into fen, or raise AmountError."""
    s = unicodedata.normalize("NFKC", text or "").strip()
    if not s:
        raise AmountError(AmountErrorCode.EMPTY)
    negative = s.startswith(_MINUS)
    s = _PREFIX.sub("", s[1:].lstrip() if negative else s, count=1)
    if not negative and s.startswith(_MINUS):  # the sign may also follow the prefix: ¥-5
        negative, s = True, s[1:].lstrip()
    s = _SUFFIX.sub("", s, count=1)
    match = _NUMBER.fullmatch(s)
    if match is None:
        raise AmountError(AmountErrorCode.NOT_A_NUMBER)
    int_digits = match["int"].replace(",", "")
    frac = match["frac"] or ""
    if len(int_digits.lstrip("0")) > _MAX_INTEGER_DIGITS:
        raise AmountError(AmountErrorCode.TOO_LARGE)
    if len(frac) > 2:
        raise AmountError(AmountErrorCode.TOO_MANY_DECIMALS)
    fen = int(int_digits) * 100 + int(frac.ljust(2, "0"))
    if fen == 0:
        raise AmountError(AmountErrorCode.ZERO)
    if negative:
        raise AmountError(AmountErrorCode.NEGATIVE)
    if fen > HARD_MAX_FEN:
        raise AmountError(AmountErrorCode.TOO_LARGE)
    if ceiling_fen is not None and fen > ceiling_fen:
        raise AmountError(AmountErrorCode.ABOVE_CEILING, ceiling_fen=ceiling_fen)
    return fen


def format_fen(fen: int) -> str:
    """Format fen as ``¥1,800.00`` (always two decimals; ``-¥5.00`` if negative)."""
    sign = "-" if fen < 0 else ""
    yuan = Decimal(abs(fen)).scaleb(-2)
    return f"{sign}¥{yuan:,.2f}"


def yuan(amount: int) -> int:
    """Convert whole yuan to fen (for policy defaults and tests)."""
    return amount * 100
