"""The digest's chart: per-insurer response times and SLA share, cases per township (PNG).

Drawn with matplotlib's object API (a `Figure` on its own Agg canvas, never pyplot and
its global figure list), so several renders in one process, in threads or not, share no
state. Every text is set in the shipped CJK font named by its file, never looked up by
family name, so a machine's own fonts neither help nor break the chart; a character that
font lacks (a rare name outside GB2312) prints as 〓, as on the agreement, instead of an
empty box.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from bot.agreement import fonts

# Telegram shows photos up to 1280 px on the long side; more is scaled down, less blurs.
WIDTH_PX, HEIGHT_PX, DPI = 1280, 720, 100

TEXTS: dict[str, dict[str, str]] = {
    "liaison.chart.insurers": {
        "zh": "保险公司响应（中位数，分钟）",
        "en": "Insurer response (median, minutes)",
    },
    "liaison.chart.sla_share": {"zh": "时效达标率", "en": "SLA met"},
    "liaison.chart.townships": {"zh": "各乡镇案件数", "en": "Cases per township"},
    "liaison.chart.minutes": {"zh": "分钟", "en": "minutes"},
    "liaison.chart.cases": {"zh": "案件数", "en": "cases"},
    "liaison.chart.no_data": {"zh": "暂无数据", "en": "No data"},
}

NO_VALUE = "—"
_BAR = "#3b6ea8"
_GREY = "#777777"


def text(key: str, lang: str) -> str:
    """A label of the chart in a language (zh for any language it does not have)."""
    entry = TEXTS[key]
    return entry.get(lang) or entry["zh"]


@lru_cache(maxsize=1)
def _choice() -> fonts.FontChoice:
    return fonts.choose()


def _font(size: float) -> FontProperties:
    return FontProperties(fname=str(fonts.SHIPPED_FONT), size=size)


def _printable(value: str) -> str:
    return _choice().printable(value)


def _minutes(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _row_size(rows: int) -> float:
    """Label size for a list of bars: full size up to a dozen, smaller beyond, never tiny."""
    return 12.0 if rows <= 12 else max(6.0, 144.0 / rows)


def _numeric_ticks_in_font(ax: Axes, size: float) -> None:
    # Numeric tick labels are made by the formatter at draw time in the default font;
    # set them up front so the copies matplotlib makes for new ticks inherit ours.
    for label in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        label.set_fontproperties(_font(size))


def _no_data(ax: Axes, title: str, lang: str) -> None:
    ax.set_axis_off()
    ax.set_title(title, fontproperties=_font(15))
    ax.text(
        0.5,
        0.5,
        text("liaison.chart.no_data", lang),
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=_GREY,
        fontproperties=_font(22),
    )


def _insurers_panel(
    ax: Axes, insurers: Sequence[tuple[str, float | None, float | None]], lang: str
) -> None:
    title = text("liaison.chart.insurers", lang)
    if not insurers:
        _no_data(ax, title, lang)
        return
    size = _row_size(len(insurers))
    rows = list(range(len(insurers)))
    medians = [m for _, m, _ in insurers if m is not None]
    top = max(medians, default=0.0) or 1.0
    ax.barh(
        [i for i, (_, m, _) in enumerate(insurers) if m is not None],
        medians,
        color=_BAR,
        height=0.6,
    )
    for i, (_, median, _) in enumerate(insurers):
        ax.annotate(
            NO_VALUE if median is None else _minutes(median),
            xy=(0.0 if median is None else median, i),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            color=_GREY if median is None else "black",
            fontproperties=_font(size - 1),
        )
    ax.set_xlim(0, top * 1.18)  # room for the value printed after the longest bar
    names = [_printable(name) for name, _, _ in insurers]
    ax.set_yticks(rows, names, fontproperties=_font(size), parse_math=False)
    ax.set_ylim(len(insurers) - 0.5, -0.5)  # first insurer on top, as in the digest's text
    ax.set_xlabel(text("liaison.chart.minutes", lang), fontproperties=_font(12))
    ax.set_title(title, fontproperties=_font(15))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    _numeric_ticks_in_font(ax, 11)
    # The share reads as a column of percentages facing each insurer's bar.
    share = ax.secondary_yaxis("right")
    share.set_yticks(
        rows,
        [NO_VALUE if s is None else f"{s:.0%}" for _, _, s in insurers],
        fontproperties=_font(size),
    )
    share.tick_params(length=0)
    share.set_ylabel(text("liaison.chart.sla_share", lang), fontproperties=_font(12), labelpad=8)


def _townships_panel(ax: Axes, townships: Sequence[tuple[str, int]], lang: str) -> None:
    title = text("liaison.chart.townships", lang)
    if not townships:
        _no_data(ax, title, lang)
        return
    size = _row_size(len(townships))
    rows = list(range(len(townships)))
    counts = [n for _, n in townships]
    ax.barh(rows, counts, color=_BAR, height=0.6)
    for i, n in enumerate(counts):
        ax.annotate(
            str(n),
            xy=(n, i),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontproperties=_font(size - 1),
        )
    ax.set_xlim(0, (max(counts) or 1) * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    names = [_printable(name) for name, _ in townships]
    ax.set_yticks(rows, names, fontproperties=_font(size), parse_math=False)
    ax.set_ylim(len(townships) - 0.5, -0.5)
    ax.set_xlabel(text("liaison.chart.cases", lang), fontproperties=_font(12))
    ax.set_title(title, fontproperties=_font(15))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    _numeric_ticks_in_font(ax, 11)


def render_chart(
    *,
    title: str,
    insurers: Sequence[tuple[str, float | None, float | None]],
    townships: Sequence[tuple[str, int]],
    lang: str,
) -> bytes:
    """The digest's chart as a 1280x720 PNG.

    `insurers`: (display name, median minutes from ping to first response, share of SLA
    stages met 0..1), either figure None when there is none; `townships`: (name, cases).
    Both are drawn in the order given, top to bottom; an empty list draws "no data".
    """
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, width_ratios=[1.15, 1.0])
    # Names and titles are data: a "$" in them is a character, not the start of a formula.
    figure.suptitle(_printable(title), fontproperties=_font(18), parse_math=False)
    _insurers_panel(left, insurers, lang)
    _townships_panel(right, townships, lang)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
