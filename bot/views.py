"""Read models: turn database state into what the chat shows."""

from __future__ import annotations

from bot.card import CardView, render_card
from bot.services import Services
from storage import queries as q
from storage.models import Case


async def card_text_for(svc: Services, case: Case) -> str:
    """Render the current card of a case from the database."""
    assert case.id is not None
    async with svc.db.session() as session:
        photos = await q.photo_count(session, case_id=case.id)
        group = await q.get_group(session, chat_id=case.chat_id)
    view = CardView(
        number=case.number,
        township=svc.township_name(case.township_code),
        status=case.status,
        opened_at=case.opened_at,
        opened_by=case.opened_by_name,
        photo_count=photos,
        thread_mode=case.thread_mode,
    )
    lang = group.language if group else svc.language
    timezone = group.timezone if group else svc.timezone
    return render_card(view, lang=lang, timezone=timezone)
