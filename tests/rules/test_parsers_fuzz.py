"""Hypothesis fuzzing of every parser of what people type (docs/architecture.md, pure rules).

Each parser either refuses in its own way (None, or its own error with a code) or accepts a
value that satisfies its rule and reads back the same. Example counts are modest and the
runs derandomised, so CI is repeatable and quick.
"""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import date, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.case.numbering import parse_case_number
from bot.claims.rules import parse_claim_reply, parse_paid
from bot.kernel.buttons import DATA_PATTERN, PREFIX
from bot.parties.labels import LABELS
from bot.parties.quickform import parse_phone, parse_quick_form
from bot.rules.amounts import HARD_MAX_FEN, AmountError, format_fen, parse_amount
from bot.rules.cleaning import clean_text, clip
from bot.rules.periods import parse_period
from bot.rules.phones import normalise_phone, same_phone
from bot.rules.plates import PROVINCES, PlateKind, normalize_plate, parse_plate

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Text people could type or paste: any code point (lone surrogates cannot arrive in a
# Telegram update, whose JSON is UTF-8), weighted towards the characters parsers look at.
TRICKY = (
    "\u200b\u200c\u200d\u2060\ufeff\u202e\u202d\u2066\u2069\u00ad\u0301\u0300\u20dd"
    "\u3000\u00a0\u2028\u2029\t\n\r·.-_,，、;；:：¥￥元块"
    "０１２３４５６７８９ＡＢＣ٠١٢٣٤٥٦٧٨٩०१२३"
    "湘粤京使领港澳挂学警试甲乙丙丁戊己庚辛壬癸方"
    "<>&\"'/\\*_`[]()~|#+-=!{}"
    "🚗👍🏽🇨🇳"
)
any_char = st.characters(exclude_categories=("Cs",))
typed = st.text(
    st.one_of(st.sampled_from(TRICKY), st.sampled_from(string.printable), any_char), max_size=60
)
_DROPPED = {"Cf", "Cc", "Cs", "Co", "Cn"}


def _visible_only(value: str) -> bool:
    return not any(unicodedata.category(ch) in _DROPPED for ch in value)


# --- plates ------------------------------------------------------------------------------
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_PLATE_AN = _PLATE_LETTERS + string.digits


@FUZZ
@given(typed)
def test_a_plate_is_refused_or_canonical(text: str):
    plate = parse_plate(text)
    if plate is None:
        assert normalize_plate(text) is None
        return
    # Canonical: upper-case ASCII serial, no separators, and it parses to itself.
    assert normalize_plate(plate.text) == plate.text
    assert re.fullmatch(r"[\u4e00-\u9fff]?[A-Z0-9]{5,7}[\u4e00-\u9fff]?", plate.text)
    assert "I" not in plate.text and "O" not in plate.text
    if plate.kind is PlateKind.EMBASSY:
        assert plate.province is None and "使" in plate.text
    else:
        assert plate.province == plate.text[0] and plate.province in PROVINCES


@FUZZ
@given(
    st.sampled_from(PROVINCES),
    st.sampled_from(_PLATE_LETTERS),
    st.text(st.sampled_from(_PLATE_AN), min_size=5, max_size=5),
    st.sampled_from(["", " ", "·", "-", " · "]),
    st.booleans(),
    st.booleans(),
)
def test_an_ordinary_plate_however_typed_is_read_back(
    province: str, office: str, serial: str, sep: str, lower: bool, wide: bool
):
    canonical = f"{province}{office}{serial}"
    typed_plate = f"{province}{office}{sep}{serial}"
    if lower:
        typed_plate = typed_plate.lower()
    if wide:  # full-width Latin letters and digits, as Chinese input methods type them
        typed_plate = "".join(
            chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in typed_plate
        )
    assert normalize_plate(typed_plate) == canonical


# --- amounts -----------------------------------------------------------------------------
@FUZZ
@given(typed, st.none() | st.integers(min_value=1, max_value=HARD_MAX_FEN))
def test_an_amount_is_refused_with_a_code_or_in_range(text: str, ceiling: int | None):
    try:
        fen = parse_amount(text, ceiling_fen=ceiling)
    except AmountError as exc:
        assert exc.code.value == str(exc)
        return
    assert 0 < fen <= HARD_MAX_FEN
    assert ceiling is None or fen <= ceiling
    assert parse_amount(format_fen(fen)) == fen


@FUZZ
@given(st.integers(min_value=1, max_value=HARD_MAX_FEN))
def test_every_amount_in_range_reads_back_in_each_written_form(fen: int):
    whole, cents = divmod(fen, 100)
    assert parse_amount(format_fen(fen)) == fen
    assert parse_amount(f"{whole}.{cents:02d}") == fen
    assert parse_amount(f"￥{whole}.{cents:02d}元") == fen
    if cents == 0:
        assert parse_amount(f"{whole:,}") == fen


# --- phones ------------------------------------------------------------------------------
@FUZZ
@given(typed)
def test_a_phone_is_refused_or_ascii_digits(text: str):
    phone = parse_phone(text)
    if phone is None:
        return
    assert re.fullmatch(r"1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8}", phone), phone
    assert parse_phone(phone) == phone
    assert same_phone(phone, text)


# Decimal digits of other scripts (Arabic-Indic, Devanagari, full-width...) look like
# digits to `\d` but are no phone number anyone can dial or match.
unicode_digit = st.characters(categories=("Nd",))


@FUZZ
@given(st.lists(unicode_digit, min_size=9, max_size=9).map("".join), st.sampled_from("3456789"))
def test_a_mobile_number_is_written_in_ascii_digits_only(digits: str, second: str):
    phone = parse_phone(f"1{second}{digits}")
    assert phone is None or phone.isascii()


@FUZZ
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "86", "+86"]))
def test_a_mobile_number_with_a_country_code_is_read_back(number: str, prefix: str):
    assert parse_phone(prefix + number) == number
    assert normalise_phone(f"+86 {number}") == number


# --- the quick-form line -----------------------------------------------------------------
def _find_insurer(token: str) -> str | None:
    return {"平安": "PINGAN", "人保": "PICC"}.get(token)


VEHICLES = ("小型轿车", "小型普通客车")
quick_line = st.builds(
    lambda label, rest: f"{label} {rest}",
    st.sampled_from([*LABELS, "甲方", "A", "b", "子", "<b>"]),
    typed,
)


@FUZZ
@given(st.one_of(typed, quick_line))
def test_a_quick_form_line_gives_checked_fields_or_none(text: str):
    form = parse_quick_form(text, find_insurer=_find_insurer, vehicle_types=VEHICLES)
    if form is None:
        return
    assert form.label in LABELS
    if form.plate is not None:
        assert normalize_plate(form.plate) == form.plate
    if form.phone is not None:
        assert parse_phone(form.phone) == form.phone
    assert form.insurer in (None, "PINGAN", "PICC")
    assert form.vehicle_type in (None, *VEHICLES)
    for value in (form.driver_name, form.policy_number, *form.unknown):
        if value is not None:
            assert value and _visible_only(value) and " " not in value


@FUZZ
@given(
    st.sampled_from(LABELS),
    st.sampled_from(PROVINCES),
    st.text(st.sampled_from(_PLATE_AN), min_size=5, max_size=5),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.permutations(range(4)),
)
def test_a_complete_quick_form_line_is_read_in_any_order(
    label: str, province: str, serial: str, phone: str, order: list[int]
):
    tokens = [f"{province}A{serial}", "平安", phone, "小型轿车"]
    text = " ".join([label, *(tokens[i] for i in order)])
    form = parse_quick_form(text, find_insurer=_find_insurer, vehicle_types=VEHICLES)
    assert form is not None
    assert (form.label, form.plate, form.insurer, form.phone, form.vehicle_type) == (
        label,
        f"{province}A{serial}",
        "PINGAN",
        phone,
        "小型轿车",
    )
    assert form.unknown == ()


@FUZZ
@given(st.from_regex(r"1[0-9]{7,9}", fullmatch=True), st.sampled_from(LABELS))
def test_a_phone_with_digits_missing_is_no_policy_number(digits: str, label: str):
    form = parse_quick_form(f"{label} {digits}", find_insurer=_find_insurer, vehicle_types=VEHICLES)
    assert form is not None and form.policy_number is None and form.phone is None
    assert form.unknown == (digits,)


# --- text cleaning -----------------------------------------------------------------------
@FUZZ
@given(typed, st.booleans())
def test_cleaned_text_is_visible_and_stable(text: str, multiline: bool):
    cleaned = clean_text(text, multiline=multiline)
    assert _visible_only(cleaned.replace("\n", ""))
    assert clean_text(cleaned, multiline=multiline) == cleaned
    assert multiline or "\n" not in cleaned
    assert len(clip(cleaned, 20)) <= 20


# --- callback data -----------------------------------------------------------------------
@FUZZ
@given(st.text(any_char, max_size=70) | st.binary(max_size=64).map(lambda b: b.hex()))
def test_only_the_issued_shape_of_callback_data_is_a_token(data: str):
    if DATA_PATTERN.fullmatch(data):
        token = data.removeprefix(PREFIX)
        assert len(token) == 12 and token.isascii()
        assert len(data.encode()) <= 64  # Telegram's limit for callback data
    else:
        assert not re.fullmatch(r"b:[A-Za-z0-9_-]{12}", data)


# --- /stats and /export periods ----------------------------------------------------------
TODAY = date(2026, 11, 30)
period_word = st.one_of(
    typed,
    st.sampled_from(["today", "TODAY", "今天", "昨天", "week", "本周", "month", "本月"]),
    st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
    st.dates().map(lambda d: d.isoformat()[:7]),
    st.from_regex(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?", fullmatch=True),
)


@FUZZ
@given(st.lists(period_word, max_size=3))
def test_a_period_is_none_or_a_span_that_reads_back(words: list[str]):
    period = parse_period(words, TODAY, "Asia/Shanghai")
    if period is None:
        return
    assert period.start < period.end
    assert period.end - period.start <= timedelta(days=366 * 10_000)
    if period.kind in ("day", "month"):
        assert parse_period([period.label], TODAY, "Asia/Shanghai") == period
    elif period.kind == "range":
        assert parse_period(period.label.split("~"), TODAY, "Asia/Shanghai") == period


# --- case numbers (/case) ----------------------------------------------------------------
case_number_like = st.builds(
    lambda prefix, day, seq: f"{prefix}-{day}-{seq}",
    st.text(st.sampled_from("HSXYhsß"), min_size=0, max_size=7),
    st.one_of(st.dates().map(lambda d: f"{d:%Y%m%d}"), st.text(st.sampled_from("0123456789١"))),
    st.one_of(st.text(st.sampled_from("0123456789０"), max_size=12), st.just("9" * 4400)),
)


@FUZZ
@given(st.one_of(typed, case_number_like))
@example("HS-20260101-" + "9" * 4400)  # past int()'s 4300-digit limit
@example("HS-20260101-００１")
def test_a_case_number_is_none_or_reads_back(text: str):
    parsed = parse_case_number(text)
    if parsed is None:
        return
    prefix, day, seq = parsed
    assert prefix.isascii() and prefix.isupper() and 0 <= seq < 10**9
    assert parse_case_number(f"{prefix}-{day:%Y%m%d}-{seq:03d}") == parsed


# --- the adjuster's claim-number reply and /paid -----------------------------------------
_CLAIM = st.from_regex(r"[A-Z]{2,6}[0-9]{4,12}", fullmatch=True)


@FUZZ
@given(typed, st.none() | st.integers(min_value=1, max_value=HARD_MAX_FEN))
def test_a_claim_reply_is_refused_with_a_code_or_checked(text: str, ceiling: int | None):
    reply = parse_claim_reply(text, ceiling_fen=ceiling)
    if reply.error is not None:
        assert reply.claim_no is None and reply.assessed_fen is None
        return
    if reply.claim_no is not None:
        assert re.fullmatch(r"[A-Z0-9][A-Z0-9-]{5,39}", reply.claim_no)
    if reply.assessed_fen is not None:
        assert 0 < reply.assessed_fen <= (ceiling or HARD_MAX_FEN)


@FUZZ
@given(_CLAIM, st.integers(min_value=1, max_value=HARD_MAX_FEN), st.booleans())
def test_a_claim_reply_reads_back(claim_no: str, fen: int, labelled: bool):
    text = (
        f"报案号：{claim_no} 定损 {format_fen(fen)}"
        if labelled
        else f"{claim_no} {format_fen(fen)}"
    )
    reply = parse_claim_reply(text, ceiling_fen=None)
    assert (reply.claim_no, reply.assessed_fen, reply.error) == (claim_no, fen, None)


@FUZZ
@given(
    st.from_regex(r"[0-9]{8,40}", fullmatch=True),
    st.sampled_from(["定损", "定损金额：", "assessed "]),
)
def test_the_word_after_an_amount_label_is_never_a_claim_number(digits: str, label: str):
    reply = parse_claim_reply(f"{label}{digits}", ceiling_fen=None)
    assert reply.claim_no is None
    assert reply.error is not None or reply.assessed_fen == int(digits) * 100


@FUZZ
@given(typed)
def test_paid_arguments_are_refused_with_a_code_or_checked(text: str):
    try:
        fen, reference = parse_paid(text, ceiling_fen=None)
    except AmountError:
        return
    assert 0 < fen <= HARD_MAX_FEN
    if reference is not None:
        assert 0 < len(reference) <= 64 and _visible_only(reference)
