"""The log redaction, one test per thing it masks (bot/config/logs.py)."""

from __future__ import annotations

import functools
import logging
import sqlite3
import sys

import pytest

from bot.config.logs import RedactingFilter, scrub


def _record(name: str, msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    return logging.LogRecord(
        name, logging.DEBUG, __file__, 1, msg, args, sys.exc_info() if exc else None
    )


def _rendered(record: logging.LogRecord, secrets: tuple[str, ...] = ()) -> str:
    assert RedactingFilter(secrets).filter(record)
    return logging.Formatter("%(message)s").format(record)


@pytest.mark.parametrize(
    "phone",
    ["13800001111", "+8613800001111", "8613800001111", "+86 138 0000 1111", "138-0000-1111"],
)
def test_phones_in_every_spelling_are_masked(phone: str):
    assert scrub(f"driver {phone}, call") == "driver <phone>, call"


@pytest.mark.parametrize(
    "number", ["430321199001011234", "43032120001231123X", "11010519491231002x"]
)
def test_id_and_licence_numbers_are_masked(number: str):
    assert scrub(f"驾驶证号 {number}。") == "驾驶证号 <id-number>。"


@pytest.mark.parametrize(
    "text",
    [
        "update 700000066 of chat -1001000000001",  # Telegram ids
        "amount 540000 fen, sha 0a1b2c430321199001011234ff",  # inside a hex digest
        "430321199013011234",  # month 13: not a date
        "1234567890123456789",  # 19 digits
    ],
)
def test_ids_amounts_and_digests_are_not_taken_for_id_numbers(text: str):
    assert scrub(text) == text


@pytest.mark.parametrize("plate", ["湘C12345", "湘CD12345", "京A·12345", "湘C1234学", "粤B12345挂"])
def test_plates_are_masked(plate: str):
    assert scrub(f"甲 {plate} 平安") == "甲 <plate> 平安"


def test_case_numbers_are_not_plates():
    assert scrub("case HS-20261129-001 opened") == "case HS-20261129-001 opened"


def test_confirmation_tokens_are_masked():
    assert scrub("t.me/kuaipei_bot?start=cf_7RjK68ji4hoAZDT2") == (
        "t.me/kuaipei_bot?start=cf_<hidden>"
    )


def test_the_token_is_masked_plain_and_url_quoted_in_messages_and_tracebacks():
    try:
        raise RuntimeError("POST /bot123:ABC/sendMessage and /file/bot123%3AABC/x.jpg")
    except RuntimeError:
        record = _record("x", "failed at %s", "bot123:ABC", exc=True)
    text = _rendered(record, ("123:ABC",))
    assert "123:ABC" not in text and "123%3AABC" not in text
    assert "failed at bot<token>" in text and "RuntimeError: POST /bot<token>/sendMessage" in text


def test_stack_info_is_scrubbed():
    record = _record("x", "here")
    record.stack_info = 'File "x.py", line 1, in f\n    call("13800001111")'
    assert "13800001111" not in _rendered(record)


def test_sqlalchemy_result_rows_show_no_values():
    record = _record("sqlalchemy.engine.Engine", "Row %r", (1, "甲", "湘C12345", "张三", "x"))
    text = _rendered(record)
    assert "张三" not in text and text == "Row '<row>'"


def test_sqlalchemy_statements_still_show():
    record = _record("sqlalchemy.engine.Engine", "%s", "SELECT party.id FROM party")
    assert _rendered(record) == "SELECT party.id FROM party"


def test_aiosqlite_calls_show_the_method_but_not_the_parameters():
    cursor = sqlite3.connect(":memory:").cursor()
    call = functools.partial(cursor.execute, "UPDATE party SET driver_name=?", ("张三",))
    text = _rendered(_record("aiosqlite", "executing %s", call))
    assert "张三" not in text and "UPDATE" not in text and text == "executing <execute>"
    failed = _rendered(_record("aiosqlite", "returning exception %s", ValueError("张三")))
    assert failed == "returning exception <ValueError>"


def test_telegram_dumps_show_ids_and_shapes_only():
    params = {"chat_id": 1, "text": "张三 湘C12345"}
    text = _rendered(_record("telegram.Bot", "Calling %s with %s", "sendMessage", params))
    assert text == "Calling sendMessage with <chat_id, text>"
