"""The phone comparison behind the drivers' contact confirmation."""

from __future__ import annotations

import pytest

from bot.rules.phones import normalise_phone, same_phone


@pytest.mark.parametrize(
    "shared",
    ["8613800001111", "+8613800001111", "+86 138 0000 1111", "0086-138-0000-1111", "13800001111"],
)
def test_the_forms_telegram_and_people_write_are_one_number(shared: str) -> None:
    assert same_phone(shared, "13800001111")
    assert normalise_phone(shared) == "13800001111"


def test_other_or_missing_numbers_never_match() -> None:
    assert not same_phone("8613900002222", "13800001111")
    assert not same_phone("", "")
    assert not same_phone(None, "13800001111")
    assert same_phone("0731-5555666", "073155556660"[:-1])
