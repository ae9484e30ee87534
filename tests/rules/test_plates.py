"""Plate parsing: every civil kind, normalisation, and refusals."""

from __future__ import annotations

import pytest

from bot.rules.plates import (
    PLATE_EXAMPLE,
    PROVINCES,
    Plate,
    PlateKind,
    PlateRules,
    normalize_plate,
    parse_plate,
)

K = PlateKind


@pytest.mark.parametrize(
    ("text", "canonical", "kind"),
    [
        ("湘C12345", "湘C12345", K.ORDINARY),
        ("京A0B1C2", "京A0B1C2", K.ORDINARY),
        ("粤BAB123", "粤BAB123", K.ORDINARY),
        ("沪AD1234", "沪AD1234", K.ORDINARY),  # 7 chars: ordinary even with a D
        ("粤BD12345", "粤BD12345", K.NEW_ENERGY_SMALL),
        ("京AF01234", "京AF01234", K.NEW_ENERGY_SMALL),
        ("京ADF1234", "京ADF1234", K.NEW_ENERGY_SMALL),
        ("沪AA12345", "沪AA12345", K.NEW_ENERGY_SMALL),
        ("浙AK12345", "浙AK12345", K.NEW_ENERGY_SMALL),
        ("粤B12345D", "粤B12345D", K.NEW_ENERGY_LARGE),
        ("粤B12345F", "粤B12345F", K.NEW_ENERGY_LARGE),
        ("湘C1234挂", "湘C1234挂", K.TRAILER),
        ("湘CA123挂", "湘CA123挂", K.TRAILER),
        ("粤B1234学", "粤B1234学", K.LEARNER),
        ("京A1234警", "京A1234警", K.POLICE),
        ("苏E1234试", "苏E1234试", K.TRIAL),
        ("粤Z1234港", "粤Z1234港", K.HK),
        ("粤ZA123澳", "粤ZA123澳", K.MACAU),
        ("沪A0012领", "沪A0012领", K.CONSULATE),
        ("使014578", "使014578", K.EMBASSY),
        ("014578使", "014578使", K.EMBASSY),
        ("京A00001", "京A00001", K.ORDINARY),
        ("沪B99999", "沪B99999", K.ORDINARY),
        ("津C2J345", "津C2J345", K.ORDINARY),
        ("冀R12A45", "冀R12A45", K.ORDINARY),
        ("藏AH1234", "藏AH1234", K.ORDINARY),
        ("蒙K3456Z", "蒙K3456Z", K.ORDINARY),
        ("京a·12345", "京A12345", K.ORDINARY),  # lower case and middle dot
        ("京Ａ１２３４５", "京A12345", K.ORDINARY),  # full width
        ("川AG12345", "川AG12345", K.NEW_ENERGY_SMALL),
        ("鄂AJ12345", "鄂AJ12345", K.NEW_ENERGY_SMALL),
        ("湘AEA1234", "湘AEA1234", K.NEW_ENERGY_SMALL),
        ("粤b d12345", "粤BD12345", K.NEW_ENERGY_SMALL),
        ("京A54321D", "京A54321D", K.NEW_ENERGY_LARGE),
        ("浙a-12345f", "浙A12345F", K.NEW_ENERGY_LARGE),
        ("鲁B1234挂", "鲁B1234挂", K.TRAILER),
        ("湘C 1234 挂", "湘C1234挂", K.TRAILER),
        ("  川a 1234学 ", "川A1234学", K.LEARNER),
        ("闽A0001警", "闽A0001警", K.POLICE),
        ("辽B1234试", "辽B1234试", K.TRIAL),
        ("粤Z1A23港", "粤Z1A23港", K.HK),
        ("粤Z1234澳", "粤Z1234澳", K.MACAU),
        ("粤A0001领", "粤A0001领", K.CONSULATE),
        ("使123456", "使123456", K.EMBASSY),
        ("224001使", "224001使", K.EMBASSY),
    ],
)
def test_valid_plates(text: str, canonical: str, kind: PlateKind) -> None:
    plate = parse_plate(text)
    assert plate is not None
    assert plate.text == canonical
    assert plate.kind is kind
    assert normalize_plate(text) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "湘C·12345",
        "湘c 12345",
        "湘C 123 45",
        "湘c·12345",
        " 湘C12345 ",
        "湘C-12345",
        "湘C.12345",
        "湘C•12345",
        "湘C・12345",
        "湘Ｃ１２３４５",  # full-width letter and digits
        "湘\tC\u300012345",  # tab and ideographic space
    ],
)
def test_separators_case_and_width_normalised(text: str) -> None:
    assert normalize_plate(text) == "湘C12345"


def test_plate_fields() -> None:
    plate = parse_plate("湘c·12345")
    assert plate == Plate(text="湘C12345", province="湘", kind=K.ORDINARY)
    assert plate.authority == "C"
    embassy = parse_plate("使014578")
    assert embassy is not None and embassy.province is None and embassy.authority is None


def test_example_is_valid() -> None:
    assert normalize_plate(PLATE_EXAMPLE) == PLATE_EXAMPLE


@pytest.mark.parametrize("province", list(PROVINCES))
def test_every_province_accepted(province: str) -> None:
    assert normalize_plate(f"{province}A12345") == f"{province}A12345"


def test_province_list_has_31_entries() -> None:
    assert len(set(PROVINCES)) == len(PROVINCES) == 31


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "湘C1234",  # too short
        "湘C1234567",  # too long
        "港C12345",  # not a province abbreviation
        "AC12345",
        "湘112345",  # authority must be a letter
        "湘I12345",  # I excluded
        "湘O12345",  # O excluded
        "湘C1234I",
        "湘CO2345",
        "湘C12#45",
        "湘CD1234A",  # small NEV: last four must be digits
        "湘CX12345",  # X is not a NEV letter
        "湘C1234XD",  # large NEV: first five must be digits
        "湘C12345X",
        "湘C12345I",
        "湘CDI1234",
        "湘C123挂",  # suffix plates need four characters before the suffix
        "湘C12345挂",
        "湘C1234军",  # unknown suffix
        "湘Z1234港",  # 港/澳 only from 粤Z
        "粤B1234港",
        "沪AA012领",  # 领 takes four digits
        "使01457",
        "使0145789",
        "使01457A",
        "湘C12345" * 10,  # pasted junk
        "WJ12345",  # armed police: not civil
        "WJ京12345",
        "湘C12 34",  # separators removed: too short
        "京A-1234",
        "京AI1234",  # I is never read as 1
        "京O12345",
        "京A1234O",
        "台A12345",  # not one of the 31 provinces
        "沪",
        "12345",
        "使12345",
        "使A12345",
        "粤Z12345港",
        "粤Z123港",
        "京A1234港",
        "粤Y1234澳",
        "沪A12A4领",
        "京AL12345",  # L is not a small-NEV letter
        "京A1234D5",
        "京AD123456",
        "京AD12345F",
        "京A12345!",
        "京A１２３４",
        "京A1234挂挂",
        "挂A12345",
        "京A12345\n京B54321",  # two plates pasted together
    ],
)
def test_invalid_plates(text: str) -> None:
    assert parse_plate(text) is None
    assert normalize_plate(text) is None


def test_nev_letters_are_configurable() -> None:
    strict = PlateRules(nev_small_letters="DF", nev_large_letters="D")
    assert parse_plate("粤BA12345", strict) is None
    assert parse_plate("粤BD12345", strict) is not None
    assert parse_plate("粤B12345F", strict) is None
    assert parse_plate("粤B12345D", strict) is not None
    none_at_all = PlateRules(nev_small_letters="", nev_large_letters="")
    assert parse_plate("粤BD12345", none_at_all) is None
    assert parse_plate("粤B12345D", none_at_all) is None
