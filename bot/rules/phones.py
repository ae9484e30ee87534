"""Phone numbers compared as numbers: Telegram shares them as 8613800001111 or +86 138…."""

from __future__ import annotations

import re

_NOT_DIGIT = re.compile(r"\D")


def normalise_phone(text: str | None) -> str:
    """Digits only, without China's country code; "" when there are none."""
    digits = _NOT_DIGIT.sub("", text or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            return digits[len(prefix) :]
    return digits


def same_phone(a: str | None, b: str | None) -> bool:
    """Whether two written phone numbers are the same number (an empty one never matches)."""
    na, nb = normalise_phone(a), normalise_phone(b)
    return bool(na) and na == nb
