"""Amount parsing into fen and fen formatting."""

from __future__ import annotations

import pytest

from bot.rules.amounts import (
    HARD_MAX_FEN,
    AmountError,
    AmountErrorCode,
    format_fen,
    parse_amount,
    yuan,
)

E = AmountErrorCode


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1800", 180_000),
        ("1,800", 180_000),
        ("1，800", 180_000),
        ("¥1800", 180_000),
        ("￥1800", 180_000),
        ("1800元", 180_000),
        ("1800.50", 180_050),
        ("1800.5", 180_050),
        ("１８００", 180_000),
        ("１８００．５", 180_050),
        ("￥１，８００元", 180_000),
        ("¥ 1,800.50 元", 180_050),
        ("  1800  ", 180_000),
        ("1800块", 180_000),
        ("RMB 1800", 180_000),
        ("cny1800", 180_000),
        ("人民币1800元", 180_000),
        ("1,234,567.89", 123_456_789),
        ("0.01", 1),
        ("0.5", 50),
        ("007", 700),
        ("12", 1_200),
        ("2000", 200_000),
        ("2,000.00", 200_000),
        ("2000.00元", 200_000),
        ("RMB1,800.50", 180_050),
        ("CNY 99.99", 9_999),
        ("人民币 2000 元", 200_000),
        ("1800圆", 180_000),
        ("1800 块", 180_000),
        ("1800RMB", 180_000),
        ("1800 cny", 180_000),
        ("rmb 0.01", 1),
        ("99,999,999.99", 9_999_999_999),
        ("0.10", 10),
        ("0.99", 99),
        ("1.05", 105),
        ("10.1", 1_010),
        ("1,000", 100_000),
        ("12,345.6", 1_234_560),
        ("￥0.5元", 50),
        ("00.50", 50),
        ("1800\u3000元", 180_000),  # ideographic space before the unit
        ("\u30001800\u3000", 180_000),
        ("¥１,８００.００", 180_000),
    ],
)
def test_accepted(text: str, fen: int) -> None:
    assert parse_amount(text, ceiling_fen=None) == fen


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", E.EMPTY),
        ("   ", E.EMPTY),
        ("\u3000", E.EMPTY),
        ("-5", E.NEGATIVE),
        ("−5", E.NEGATIVE),  # U+2212
        ("－5", E.NEGATIVE),  # full-width
        ("-¥5", E.NEGATIVE),
        ("¥-5", E.NEGATIVE),
        ("-1,800.50元", E.NEGATIVE),
        ("0", E.ZERO),
        ("0.00", E.ZERO),
        ("0.0", E.ZERO),
        ("-0", E.ZERO),
        ("¥0元", E.ZERO),
        ("1e309", E.NOT_A_NUMBER),
        ("1E3", E.NOT_A_NUMBER),
        ("inf", E.NOT_A_NUMBER),
        ("-inf", E.NOT_A_NUMBER),
        ("Infinity", E.NOT_A_NUMBER),
        ("nan", E.NOT_A_NUMBER),
        ("NaN", E.NOT_A_NUMBER),
        ("一千八", E.NOT_A_NUMBER),
        ("一千八百元", E.NOT_A_NUMBER),
        ("1.8万", E.NOT_A_NUMBER),
        ("abc", E.NOT_A_NUMBER),
        ("18,00", E.NOT_A_NUMBER),  # badly grouped comma: never read as a decimal comma
        ("1,80", E.NOT_A_NUMBER),
        ("1800,", E.NOT_A_NUMBER),
        (",1800", E.NOT_A_NUMBER),
        ("1800.", E.NOT_A_NUMBER),
        (".5", E.NOT_A_NUMBER),
        ("1.2.3", E.NOT_A_NUMBER),
        ("+5", E.NOT_A_NUMBER),
        ("18 00", E.NOT_A_NUMBER),
        ("0x10", E.NOT_A_NUMBER),
        ("1_000", E.NOT_A_NUMBER),
        ("١٢٣", E.NOT_A_NUMBER),  # Arabic-Indic digits are not accepted
        ("¥", E.NOT_A_NUMBER),
        ("元", E.NOT_A_NUMBER),
        ("--5", E.NOT_A_NUMBER),
        ("1800.123", E.TOO_MANY_DECIMALS),
        ("0.001", E.TOO_MANY_DECIMALS),
        ("9" * 13, E.TOO_LARGE),
        ("9" * 5000, E.TOO_LARGE),  # absurdly long; no big-int parsing
        ("1" * 100_000 + ".5", E.TOO_LARGE),
        ("100000001", E.TOO_LARGE),
        ("x" * 100_000, E.NOT_A_NUMBER),
    ],
)
def test_refused(text: str, code: AmountErrorCode) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(text, ceiling_fen=None)
    assert info.value.code is code
    assert isinstance(info.value, ValueError)


def test_hard_max_is_inclusive() -> None:
    assert parse_amount("100000000", ceiling_fen=None) == HARD_MAX_FEN
    assert parse_amount("100,000,000.00", ceiling_fen=None) == HARD_MAX_FEN


def test_leading_zeros_do_not_count_towards_size() -> None:
    assert parse_amount("0" * 30 + "5", ceiling_fen=None) == 500


def test_ceiling() -> None:
    assert parse_amount("2000", ceiling_fen=200_000) == 200_000
    with pytest.raises(AmountError) as info:
        parse_amount("2000.01", ceiling_fen=200_000)
    assert info.value.code is E.ABOVE_CEILING
    assert info.value.ceiling_fen == 200_000


def test_too_large_wins_over_ceiling() -> None:
    with pytest.raises(AmountError) as info:
        parse_amount("9" * 20, ceiling_fen=100)
    assert info.value.code is E.TOO_LARGE


def test_default_is_no_ceiling() -> None:
    assert parse_amount("99999") == 9_999_900


def test_none_input_is_empty() -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(None, ceiling_fen=None)  # type: ignore[arg-type]
    assert info.value.code is E.EMPTY


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (180_050, "¥1,800.50"),
        (180_000, "¥1,800.00"),
        (5, "¥0.05"),
        (50, "¥0.50"),
        (0, "¥0.00"),
        (-500, "-¥5.00"),
        (123_456_789, "¥1,234,567.89"),
        (HARD_MAX_FEN, "¥100,000,000.00"),
    ],
)
def test_format_fen(fen: int, text: str) -> None:
    assert format_fen(fen) == text


def test_format_then_parse_round_trips() -> None:
    for fen in (1, 99, 100, 101, 180_050, 99_999_999, 123_456_789):
        assert parse_amount(format_fen(fen), ceiling_fen=None) == fen


def test_yuan_helper() -> None:
    assert yuan(2000) == 200_000
