"""The agreement PDF: opens, holds the case number and its Chinese text, embeds its font,
renders real glyphs (no tofu), and the shipped font subset covers what the bot prints."""

from __future__ import annotations

import io
import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from pypdf import PdfReader

from bot.agreement import fonts
from bot.agreement import pdf as agreement_pdf
from bot.agreement.model import (
    AgreementData,
    CompensationLine,
    InsurerDecision,
    PartyData,
    PaymentRecord,
)
from bot.agreement.pdf import render_agreement
from bot.config.deployment import EXAMPLE_FILE, load_deployment
from bot.kernel.texts import CATALOG
from bot.rules.compensation_model import Layer
from bot.rules.presets import PRESETS

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 11, 29, 2, 10, tzinfo=UTC)


def sample(**changes: object) -> AgreementData:
    data = AgreementData(
        case_number="HS-20261129-001",
        generated_at=datetime(2026, 11, 29, 3, 0, tzinfo=UTC),
        status="已结案",
        draft=False,
        township="花石镇",
        occurred_at=AT,
        place="G107 花石大桥北",
        accident_form="追尾碰撞",
        photo_count=9,
        parties=(
            PartyData(
                "甲",
                name="张三",
                phone="13800001111",
                vehicle_type="小型轿车",
                plate="湘C12345",
                insurer="平安产险",
                situations=("未保持安全车距与前车追尾",),
                liability="全部",
                estimate_fen=150_000,
                confirmed_via="telegram",
                confirmed_at=AT,
            ),
            PartyData(
                "乙",
                name="李四",
                phone="13900002222",
                vehicle_type="小型普通客车",
                plate="湘C67890",
                insurer="人保财险",
                liability="无",
                estimate_fen=400_000,
                confirmed_via="paper",
                confirmed_at=AT,
            ),
        ),
        compensation=(
            CompensationLine("甲方 · 平安产险", "乙方", "交强险财产", 200_000),
            CompensationLine("乙方 · 人保财险", "甲方", "交强险无责", 10_000, "平安产险代赔"),
        ),
        decisions=(
            InsurerDecision(
                "平安产险",
                decision="同意",
                claim_number="RPAA2026112900123",
                approved_fen=400_000,
                assessed_fen=380_000,
                decided_at=AT,
                payments=(PaymentRecord(200_000, "转账一"), PaymentRecord(200_000, "转账二")),
            ),
        ),
    )
    return replace(data, **changes)


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def raster(pdf: bytes, page: int = 0) -> bytes:
    doc = pdfium.PdfDocument(pdf)
    try:
        image = doc[page].render(scale=1).to_pil().convert("L")
        return image.tobytes()
    finally:
        doc.close()


# --- the document ------------------------------------------------------------------------


def test_pdf_opens_and_holds_case_number_and_chinese_text():
    pdf = render_agreement(sample())
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    assert reader.metadata.title == "机动车交通事故快速处理协议书 HS-20261129-001"
    text = text_of(pdf)
    for expected in (
        "HS-20261129-001",
        "机动车交通事故快速处理协议书",
        "自行协商协议书",
        "张三",
        "李四",
        "湘C12345",
        "湘C67890",
        "13800001111",
        "平安产险",
        "未保持安全车距与前车追尾",
        "全部责任",
        "无责任",
        "追尾碰撞",
        "天气",
        "保险凭证号",
        "保险期间",
        "保险公司报案号",
        "碰撞部位",
        "驾驶证号或身份证号",
        "¥2,000.00",
        "RPAA2026112900123",
        "本人Telegram账号确认",
        "纸质签字确认",
        "2026年11月29日 10时10分",  # UTC+8
        "签名",
    ):
        assert expected in text, expected
    assert "草稿" not in text


def test_draft_is_marked_and_unknown_fields_stay_blank():
    bare = AgreementData(
        case_number="SB-20261129-002",
        generated_at=AT,
        status="采集证据中",
        parties=(PartyData("甲"), PartyData("乙")),
    )
    text = text_of(render_agreement(bare))
    assert "SB-20261129-002" in text and "草稿" in text and "采集证据中" in text
    assert "未确认" in text and "____年__月__日__时__分" in text
    assert "None" not in text  # blanks, never Python's None


def test_chinese_glyphs_are_embedded_in_the_pdf():
    reader = PdfReader(io.BytesIO(render_agreement(sample())))
    fonts_seen = reader.pages[0]["/Resources"]["/Font"]
    embedded = []
    for ref in fonts_seen.values():
        font = ref.get_object()
        for descendant in font.get("/DescendantFonts", []):
            descriptor = descendant.get_object()["/FontDescriptor"].get_object()
            embedded.append("/FontFile2" in descriptor)
    assert embedded and all(embedded)


def test_rendered_chinese_is_not_tofu():
    # Tofu (.notdef boxes) would look the same for any two names; real glyphs differ.
    a = raster(render_agreement(sample()))
    other = sample(parties=(replace(sample().parties[0], name="王五"), sample().parties[1]))
    b = raster(render_agreement(other))
    assert a != b
    # The page carries ink where the title is (not a blank page either).
    assert min(a[: len(a) // 8]) < 128


def _one_line(text: str, font: Path) -> bytes:
    """A tiny PDF with one raw line in a font (no 〓 replacement), rasterised."""
    doc = FPDF(format=(60, 20))
    doc.set_auto_page_break(False)
    doc.add_font("f", "", str(font))
    doc.set_font("f", size=20)
    doc.add_page()
    doc.set_xy(2, 2)
    doc.cell(0, 12, text)
    return raster(bytes(doc.output()))


def test_shipped_font_draws_distinct_glyphs_and_a_missing_one_differs():
    case = _one_line("案件", fonts.SHIPPED_FONT)
    assert min(case) < 128  # ink
    assert case != _one_line("件案", fonts.SHIPPED_FONT)
    assert case != _one_line("\ue000\ue001", fonts.SHIPPED_FONT)  # no font has these
    assert case != _one_line("  ", fonts.SHIPPED_FONT)


# --- characters outside the font ---------------------------------------------------------


def test_characters_no_font_has_print_as_geta_mark():
    choice = fonts.choose()
    assert choice.printable("张\U000f0000三") == "张〓三"
    assert choice.missing("张\U000f0000三") == {"\U000f0000"}
    rare = sample(parties=(replace(sample().parties[0], name="张\U000f0000"), sample().parties[1]))
    assert "张〓" in text_of(render_agreement(rare))


def test_configured_font_comes_first_and_shipped_font_fills_its_gaps(tmp_path: Path):
    # A "fuller" font that has only 张: every other character falls back to the shipped one.
    tiny = TTFont(str(fonts.SHIPPED_FONT))
    options = subset.Options()
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text="张")
    sub.subset(tiny)
    path = tmp_path / "tiny.ttf"
    tiny.save(str(path))
    choice = fonts.choose(path)
    assert choice.paths == (path, fonts.SHIPPED_FONT)
    pdf = render_agreement(sample(), font_path=path)
    text = text_of(pdf)
    assert "张三" in text and "HS-20261129-001" in text
    embedded = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    assert len(embedded) == 2, embedded  # both fonts are embedded and used


def test_an_unusable_configured_font_falls_back_to_the_shipped_one(tmp_path: Path):
    bogus = tmp_path / "not-a-font.ttf"
    bogus.write_bytes(b"nope")
    assert fonts.choose(bogus).paths == (fonts.SHIPPED_FONT,)
    assert fonts.choose(tmp_path / "absent.ttc").paths == (fonts.SHIPPED_FONT,)
    assert "HS-20261129-001" in text_of(render_agreement(sample(), font_path=bogus))


# --- the shipped font --------------------------------------------------------------------


def test_shipped_font_is_small_licensed_and_packaged():
    assert fonts.SHIPPED_FONT.stat().st_size < 3_000_000
    licence = (fonts.SHIPPED_FONT.parent / "LICENSE-wqy-microhei.txt").read_text("utf-8")
    assert "WenQuanYi" in licence and "Apache License" in licence and "SUBSET" in licence
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]["bot.agreement"]
    assert "fonts/*.ttf" in package_data and "fonts/*.txt" in package_data
    assert any(d.startswith("fpdf2") for d in config["project"]["dependencies"])


def test_shipped_font_covers_all_of_gb2312():
    cmap = fonts.cmap_of(fonts.SHIPPED_FONT)
    hanzi = []
    for row in range(0xB0, 0xF8):  # levels 1 and 2
        for cell in range(0xA1, 0xFF):
            try:
                hanzi.append(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    assert len(hanzi) == 6763
    assert not [c for c in hanzi if ord(c) not in cmap]
    assert all(ord(c) in cmap for c in "¥·✓→—…〓（）【】，。：；、0123456789ABCxyz")


@pytest.mark.parametrize(
    "source",
    ["template", "presets", "layers", "statuses", "deployment"],
)
def test_shipped_font_covers_what_the_agreement_prints(source: str):
    choice = fonts.choose()
    if source == "template":
        texts = [
            agreement_pdf.TITLE,
            agreement_pdf.SUBTITLE,
            agreement_pdf.FOOTNOTE,
            agreement_pdf.BLANK_TIME,
            *agreement_pdf.VIA.values(),
            *agreement_pdf.LIABILITY.values(),
            *Path(agreement_pdf.__file__).read_text("utf-8").split('"'),  # every literal
        ]
    elif source == "presets":
        texts = [p.label_zh for p in PRESETS]
    elif source == "layers":
        texts = [layer.label_zh for layer in Layer]
    elif source == "statuses":
        texts = [v["zh"] for k, v in CATALOG.items() if k.startswith("status.")]
    else:
        deployment = load_deployment(EXAMPLE_FILE)
        texts = [i.short_name for i in deployment.insurers]
        texts += [t.name for t in deployment.townships]
        texts += list(deployment.rules.vehicle_types)
    missing = set().union(*(choice.missing(t) for t in texts))
    assert not missing, sorted(missing)
