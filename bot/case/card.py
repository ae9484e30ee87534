"""The case card: one message the bot keeps editing, rendered from the database.

The frame and its parts are pure; `card_for` gathers the parts from the areas' sections.
Buttons are plain rows of (label, callback data): the sender makes them a keyboard."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.case.status import CaseStatus
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from storage import queries as q
from storage.models import Case


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
    if view.status == CaseStatus.COLLECTING:
        lines += ["", t("card.next", lang, thread=Raw(t(f"thread.{view.thread_mode}", lang)))]
    return "\n".join(lines)


ButtonRows = tuple[tuple[tuple[str, str], ...], ...]


def card_buttons(view: CardView) -> ButtonRows:
    """All button rows of the card, in the order of its parts."""
    return tuple(row for part in view.parts for row in part.buttons)


async def card_for(svc: Services, case: Case) -> tuple[str, ButtonRows, str]:
    """Render the current card of a case: text, button rows, and a signature of both.

    Each area adds its part through a section in the wiring (bot/compose/wiring.py); the card is
    rendered from the database every time, so edits coalesce and always show the present.
    """
    case_id = case.id
    assert case_id is not None
    async with svc.db.transaction() as session:  # sections may issue button tokens
        # Read the case afresh: the caller's copy may predate changes the card must show.
        case = await session.get(Case, case_id) or case
        photos = await q.photo_count(session, case_id=case_id)
        group = await q.get_group(session, chat_id=case.chat_id)
        parts = []
        for fn in svc.registry.sections:
            part = await fn(session, svc, case)
            if part is not None:
                parts.append(part)
    view = CardView(
        number=case.number,
        township=svc.township_name(case.township_code),
        status=case.status,
        opened_at=case.opened_at,
        opened_by=case.opened_by_name,
        photo_count=photos,
        thread_mode=case.thread_mode,
        parts=tuple(parts),
    )
    lang = group.language if group else svc.language
    timezone = group.timezone if group else svc.timezone
    text = render_card(view, lang=lang, timezone=timezone)
    rows = card_buttons(view)
    signature = json.dumps([text, rows], ensure_ascii=False)
    return text, rows, signature
