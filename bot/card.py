"""The case card: a pure rendering of case state into Telegram HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.texts import Raw, t


@dataclass(frozen=True)
class CardView:
    """What the card shows, read from the database."""

    number: str
    township: str
    status: str
    opened_at: datetime
    opened_by: str
    photo_count: int
    thread_mode: str


def render_card(view: CardView, *, lang: str = "zh", timezone: str = "Asia/Shanghai") -> str:
    """Render the card text (HTML, every user value escaped)."""
    opened = view.opened_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    lines = [
        t("card.title", lang, number=view.number, township=view.township),
        t("card.status", lang, status=Raw(t(f"status.{view.status}", lang))),
        t("card.opened", lang, time=opened, who=view.opened_by),
        t("card.photos", lang, count=view.photo_count),
    ]
    if view.status == "collecting":
        lines += ["", t("card.next", lang, thread=Raw(t(f"thread.{view.thread_mode}", lang)))]
    return "\n".join(lines)
