"""The digest's chart: a PNG of Telegram's photo size whose Chinese is drawn in the shipped
font (real glyphs, not the boxes a font without CJK draws), in the chosen language, with a
"no data" panel for empty inputs, and safe to render from several threads."""

from __future__ import annotations

import io
import logging
import re
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from PIL import Image

from bot.agreement import fonts
from bot.config.deployment import EXAMPLE_FILE, load_deployment
from bot.liaison import chart
from bot.liaison.chart import render_chart

INSURERS: list[tuple[str, float | None, float | None]] = [
    ("人保财险", 18.0, 0.92),
    ("平安产险", 7.5, 1.0),
    ("太保产险", 42.0, 0.61),
    ("国寿财险", None, None),
]
TOWNSHIPS = [("易俗河镇", 31), ("花石镇", 12), ("射埠镇", 5)]
TITLE = "湘潭县 2026-11-29 快处快赔日报"
# The font matplotlib falls back to: it has no CJK, so every hanzi is the same box.
NO_CJK_FONT = Path(findfont(FontProperties(family="DejaVu Sans"), fallback_to_default=False))
GLYPH_MISSING = re.compile(r"Glyph .* missing from")


def pixels(png: bytes) -> bytes:
    return Image.open(io.BytesIO(png)).convert("L").tobytes()


def chart_png(**changes: object) -> bytes:
    args: dict[str, object] = {
        "title": TITLE,
        "insurers": INSURERS,
        "townships": TOWNSHIPS,
        "lang": "zh",
    }
    args.update(changes)
    return render_chart(**args)  # type: ignore[arg-type]


def one_line(text: str, font: Path) -> bytes:
    """One line of text in a font, drawn the way the chart draws, as grey pixels."""
    figure = Figure(figsize=(3.2, 0.8), dpi=100)
    FigureCanvasAgg(figure)
    figure.text(0.03, 0.25, text, fontproperties=FontProperties(fname=str(font), size=24))
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return pixels(out.getvalue())


@dataclass(frozen=True)
class Drawn:
    text: str
    x: float
    y: float  # from the top of the image
    font: str


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Drawn]:
    """Every string the Agg renderer draws, where, and in which font file."""
    seen: list[Drawn] = []
    original = backend_agg.RendererAgg.draw_text

    def spy(
        self: backend_agg.RendererAgg,
        gc: object,
        x: float,
        y: float,
        s: str,
        prop: FontProperties,
        *args: object,
        **kwargs: object,
    ) -> object:
        seen.append(Drawn(s, x, y, str(prop.get_file())))
        return original(self, gc, x, y, s, prop, *args, **kwargs)

    monkeypatch.setattr(backend_agg.RendererAgg, "draw_text", spy)
    return seen


@pytest.fixture
def complaints(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """Warnings and matplotlib's log warnings (findfont, missing glyphs) raised meanwhile."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        caplog.set_level(logging.WARNING, logger="matplotlib")

        def found() -> list[str]:
            logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            # A ResourceWarning is the garbage collector finishing some other test's
            # object (a database connection, say) meanwhile: not the chart's.
            mine = [w for w in caught if not issubclass(w.category, ResourceWarning)]
            return [str(w.message) for w in mine] + logged

        yield found


# --- the image ---------------------------------------------------------------------------


def test_chart_is_a_png_of_telegram_photo_size():
    png = chart_png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    Image.open(io.BytesIO(png)).verify()  # a truncated or corrupt file raises
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (1280, 720)
    assert 10_000 < len(png) < 1_000_000  # a real picture, well below Telegram's photo limit
    grey = pixels(png)
    assert min(grey) < 64 and max(grey) == 255  # ink on a white ground


def test_many_rows_still_fit_the_same_frame(drawn: list[Drawn]):
    townships = [(f"镇{i:02d}", i) for i in range(40)]
    insurers = [(f"保险{i:02d}", float(i), i / 40) for i in range(20)]
    png = chart_png(townships=townships, insurers=insurers)
    assert Image.open(io.BytesIO(png)).size == (1280, 720)
    texts = {d.text for d in drawn}
    assert {name for name, _ in townships} <= texts
    assert {name for name, _, _ in insurers} <= texts


def test_one_render_is_fast():
    chart_png()  # fonts loaded and cached once per process
    started = time.perf_counter()
    chart_png(lang="en")
    elapsed = time.perf_counter() - started
    # Typically ~0.2 s; a generous bound that still catches an accidental slow path.
    assert elapsed < 5.0, elapsed


# --- what it says ------------------------------------------------------------------------


def test_zh_chart_shows_labels_names_and_figures_in_order(drawn: list[Drawn]):
    chart_png()
    texts = [d.text for d in drawn]
    for label in ("保险公司响应（中位数，分钟）", "时效达标率", "各乡镇案件数", "分钟", "案件数"):
        assert label in texts, label
    assert TITLE in texts
    for expected in ("18", "7.5", "42", "92%", "100%", "61%", "31", "12", "5"):
        assert expected in texts, expected
    # An insurer without figures shows a dash for each, not 0 and not nothing.
    assert texts.count(chart.NO_VALUE) == 2
    assert "0%" not in texts
    # Listed top to bottom in the order given (the digest's own order).
    y = {d.text: d.y for d in drawn}
    assert y["人保财险"] < y["平安产险"] < y["太保产险"] < y["国寿财险"]
    assert y["易俗河镇"] < y["花石镇"] < y["射埠镇"]
    # The share of an insurer stands on its row, right of the bars.
    assert abs(y["92%"] - y["人保财险"]) < 3 and abs(y["61%"] - y["太保产险"]) < 3
    x = {d.text: d.x for d in drawn}
    assert x["92%"] > x["42"] and x["人保财险"] < x["18"]


def test_en_chart_has_english_labels_only(drawn: list[Drawn]):
    chart_png(lang="en")
    texts = {d.text for d in drawn}
    for label in ("Insurer response (median, minutes)", "SLA met", "Cases per township"):
        assert label in texts, label
    zh_labels = {entry["zh"] for entry in chart.TEXTS.values()}
    assert not zh_labels & texts
    assert "人保财险" in texts and "花石镇" in texts  # names stay as the deployment spells them


def test_an_unknown_language_falls_back_to_zh(drawn: list[Drawn]):
    chart_png(lang="fr")
    assert "各乡镇案件数" in {d.text for d in drawn}


@pytest.mark.parametrize(
    ("insurers", "townships", "no_data_panels"),
    [([], [], 2), ([], TOWNSHIPS, 1), (INSURERS, [], 1)],
)
def test_empty_inputs_draw_a_no_data_panel(
    drawn: list[Drawn],
    complaints: Callable[[], list[str]],
    insurers: Sequence[tuple[str, float | None, float | None]],
    townships: Sequence[tuple[str, int]],
    no_data_panels: int,
):
    png = chart_png(insurers=insurers, townships=townships)
    assert Image.open(io.BytesIO(png)).size == (1280, 720)
    texts = [d.text for d in drawn]
    assert texts.count("暂无数据") == no_data_panels
    # The panel still says what it would show.
    assert "保险公司响应（中位数，分钟）" in texts and "各乡镇案件数" in texts
    assert complaints() == []


def test_empty_chart_in_english_says_no_data(drawn: list[Drawn]):
    chart_png(insurers=[], townships=[], lang="en")
    assert [d.text for d in drawn].count("No data") == 2


def test_a_township_with_no_cases_and_an_all_zero_day_render(drawn: list[Drawn]):
    chart_png(insurers=[("人保财险", 0.0, 0.0)], townships=[("花石镇", 0), ("射埠镇", 0)])
    texts = [d.text for d in drawn]
    assert "0%" in texts and texts.count("0") >= 2


def test_a_dollar_in_a_name_is_text_not_a_formula(drawn: list[Drawn]):
    chart_png(title="日报 $x$", townships=[("A$1$B", 1)])
    texts = {d.text for d in drawn}
    assert "日报 $x$" in texts and "A$1$B" in texts


# --- Chinese is drawn, not boxes ---------------------------------------------------------


def test_shipped_font_draws_chinese_where_a_font_without_it_draws_boxes(
    complaints: Callable[[], list[str]],
):
    for label in ("各乡镇案件数", "时效达标率", "花石镇"):
        shipped = one_line(label, fonts.SHIPPED_FONT)
        assert min(shipped) < 128, label  # ink where the glyphs are
        assert shipped != one_line(label, NO_CJK_FONT), label
    # Boxes look alike whatever the character: two names of one length draw the same
    # without CJK glyphs, and differently with them.
    assert one_line("花石镇", NO_CJK_FONT) == one_line("射埠镇", NO_CJK_FONT)
    assert one_line("花石镇", fonts.SHIPPED_FONT) != one_line("射埠镇", fonts.SHIPPED_FONT)
    assert one_line("花石镇", fonts.SHIPPED_FONT) != one_line("   ", fonts.SHIPPED_FONT)
    # And the font without CJK is caught complaining, so the checks below can fail.
    assert any(GLYPH_MISSING.search(c) for c in complaints())


def test_chart_draws_names_as_glyphs_not_boxes():
    a = pixels(chart_png(townships=[("花石镇", 12), ("射埠镇", 5)]))
    b = pixels(chart_png(townships=[("白石镇", 12), ("乌石镇", 5)]))
    assert a != b


def test_the_same_chart_in_a_font_without_cjk_would_be_caught(
    monkeypatch: pytest.MonkeyPatch, complaints: Callable[[], list[str]]
):
    # What the checks above and below guard against: a chart in matplotlib's default font.
    monkeypatch.setattr(
        chart, "_font", lambda size: FontProperties(fname=str(NO_CJK_FONT), size=size)
    )
    a = pixels(chart_png(townships=[("花石镇", 12), ("射埠镇", 5)]))
    b = pixels(chart_png(townships=[("白石镇", 12), ("乌石镇", 5)]))
    assert a == b
    assert any(GLYPH_MISSING.search(c) for c in complaints())


def test_every_text_of_the_chart_is_in_the_shipped_font(drawn: list[Drawn]):
    chart_png()
    chart_png(insurers=[], townships=[], lang="en")
    assert drawn
    assert {d.font for d in drawn} == {str(fonts.SHIPPED_FONT)}


def test_no_missing_glyph_warning_for_the_example_deployment(
    drawn: list[Drawn], complaints: Callable[[], list[str]]
):
    deployment = load_deployment(EXAMPLE_FILE)
    insurers = [(i.short_name, 12.0, 0.5) for i in deployment.insurers]
    townships = [(t.name, 3) for t in deployment.townships]
    for lang in ("zh", "en"):
        chart_png(
            title=f"{deployment.region.name} 2026-11-29",
            insurers=insurers,
            townships=townships,
            lang=lang,
        )
    assert complaints() == []
    texts = {d.text for d in drawn}
    assert {name for name, _ in townships} <= texts
    assert {name for name, _, _ in insurers} <= texts


def test_shipped_font_has_every_character_the_chart_prints():
    cmap = fonts.cmap_of(fonts.SHIPPED_FONT)
    deployment = load_deployment(EXAMPLE_FILE)
    texts = [entry[lang] for entry in chart.TEXTS.values() for lang in ("zh", "en")]
    texts += [chart.NO_VALUE, "0123456789.%", deployment.region.name]
    texts += [i.short_name for i in deployment.insurers]
    texts += [t.name for t in deployment.townships]
    missing = sorted({c for text in texts for c in text if ord(c) not in cmap and c != " "})
    assert missing == []


def test_a_character_outside_the_font_prints_as_the_missing_mark(
    drawn: list[Drawn], complaints: Callable[[], list[str]]
):
    rare = "\U00020bb7"  # 𠮷, outside GB2312 and the shipped font
    assert ord(rare) not in fonts.cmap_of(fonts.SHIPPED_FONT)
    chart_png(townships=[(f"{rare}镇", 2)], insurers=[(f"{rare}保险", 3.0, 1.0)])
    texts = {d.text for d in drawn}
    assert "〓镇" in texts and "〓保险" in texts
    assert complaints() == []


# --- several renders at once -------------------------------------------------------------


def test_concurrent_renders_match_the_same_renders_one_by_one():
    inputs = [
        {"townships": [(f"花石镇{i}", i + 1)], "insurers": INSURERS[: i + 1], "lang": lang}
        for i in range(4)
        for lang in ("zh", "en")
    ]
    alone = [pixels(chart_png(**args)) for args in inputs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda args: pixels(chart_png(**args)), inputs))
    assert together == alone
    assert len(set(alone)) == len(alone)
