"""Read models: turn database state into what the chat shows.

Each area of the product contributes a part of the case card through a section
function listed in SECTIONS; the card is re-rendered from the database every time.
"""

from __future__ import annotations

import json

from telegram import InlineKeyboardMarkup

from bot.case.card import CardView, card_buttons, render_card
from bot.kernel.services import Services
from bot.transport.keyboards import keyboard
from storage import queries as q
from storage.models import Case


async def card_for(svc: Services, case: Case) -> tuple[str, InlineKeyboardMarkup | None, str]:
    """Render the current card of a case: text, keyboard, and a signature of both."""
    assert case.id is not None
    async with svc.db.transaction() as session:  # sections may issue button tokens
        # Read the case afresh: the caller's copy may predate changes the card must show.
        case = await session.get(Case, case.id) or case
        photos = await q.photo_count(session, case_id=case.id)
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
    markup = keyboard(rows)
    signature = json.dumps([text, rows], ensure_ascii=False)
    return text, markup, signature
