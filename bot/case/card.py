"""The case card: a pure rendering of case state into Telegram HTML and buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.kernel.texts import Raw, t


@dataclass(frozen=True)
class CardPart:
    """A block of the card contributed by one area (evidence, parties, money ...).

    `lines` are safe HTML; `buttons` are rows of (label, callback data).
    """

    lines: tuple[str, ...] = ()
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()


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
    parts: tuple[CardPart, ...] = field(default=())


def render_card(view: CardView, *, lang: str = "zh", timezone: str = "Asia/Shanghai") -> str:
    """Render the card text (HTML, every user value escaped)."""
    opened = view.opened_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    lines = [
        t("card.title", lang, number=view.number, township=view.township),
        t("card.status", lang, status=Raw(t(f"status.{view.status}", lang))),
        t("card.opened", lang, time=opened, who=view.opened_by),
        t("card.photos", lang, count=view.photo_count),
    ]
    for part in view.parts:
        if part.lines:
            lines += ["", *part.lines]
    if view.status == "collecting":
        lines += ["", t("card.next", lang, thread=Raw(t(f"thread.{view.thread_mode}", lang)))]
    return "\n".join(lines)


def card_buttons(view: CardView) -> tuple[tuple[tuple[str, str], ...], ...]:
    """All button rows of the card, in the order of its parts."""
    return tuple(row for part in view.parts for row in part.buttons)
