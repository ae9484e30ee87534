"""Invisible and control characters are dropped from what people type; quotes are clipped."""

from __future__ import annotations

import pytest

from bot.claims.rules import parse_paid
from bot.police.rules import clean_reason
from bot.rules.cleaning import clean_text, clip


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<i>拖拉机</i>\u202e🚜", "<i>拖拉机</i>🚜"),  # right-to-left override
        ("张\u200b三", "张三"),  # zero-width space
        ("\u2066湘C12345\u2069", "湘C12345"),  # isolates
        ("\ufeff李四", "李四"),  # byte-order mark
        ("王\u00ad五", "王五"),  # soft hyphen
        ("小型\x00轿车\x07", "小型轿车"),  # C0 controls
        ("轻型\x85货车\x9b", "轻型货车"),  # C1 controls
        ("  二轮  摩托车 \t", "二轮 摩托车"),  # runs of spaces become one
        ("a\nb\r\nc", "a b c"),  # a single-line value keeps no line breaks
        ("x\u2028y", "x y"),  # line separator
        ("\ud800坏", "坏"),  # a lone surrogate cannot be stored as UTF-8
        ("\ue000私用", "私用"),  # private use
        ("普通文本", "普通文本"),
        ("", ""),
    ],
)
def test_clean_text_drops_invisible_characters(raw: str, clean: str):
    assert clean_text(raw) == clean


def test_clean_text_keeps_emoji_and_combining_marks():
    assert clean_text("👍🏽 é") == "👍🏽 é"  # skin tone modifier, combining acute
    assert clean_text("❤️") == "❤️"  # variation selector is a mark, not a format character


def test_multiline_keeps_newlines_only():
    assert clean_text("一行\n\n二行\r\n\t三\u202e行", multiline=True) == "一行\n\n二行\n三行"


def test_clip_cuts_long_values_with_an_ellipsis():
    assert clip("短") == "短"
    assert clip("x" * 200) == "x" * 200
    assert clip("x" * 4096) == "x" * 199 + "…"
    assert clip("甲乙丙丁", 3) == "甲乙…"
    assert len(clip("🚜" * 300)) == 200


def test_a_payment_reference_loses_its_invisible_characters():
    assert parse_paid("1800 \u202eREF-1\u200b", ceiling_fen=None) == (180000, "REF-1")
    assert parse_paid("1800 \u2066\u2069", ceiling_fen=None) == (180000, None)


def test_a_cancellation_reason_loses_its_invisible_characters():
    assert clean_reason("重复\u202e报案\n  请忽略") == "重复报案 请忽略"
    assert clean_reason("\u200b\u2066") is None
