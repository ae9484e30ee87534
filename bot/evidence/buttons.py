"""The evidence buttons on the card: re-tag a photo, switch the photo checklist's scenario."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.guard import fast_path
from bot.evidence import checklist
from bot.evidence.card import scenario_name, slot_label
from bot.evidence.data import case_photos, number_of, slots_of
from bot.kernel import outbox
from bot.kernel.buttons import ButtonAction, Press, PressResult, button_data, grid
from bot.kernel.services import Services, mark_changed
from bot.kernel.texts import Raw, t
from storage import queries as q
from storage.models import Button, Case, Photo


async def retag_menu(
    session: AsyncSession, svc: Services, _press: Press, _button: Button, case: Case
) -> PressResult:
    """Post the list of the case's photos, one button each."""
    assert case.id is not None  # the guard hands over stored cases only
    lang = await outbox.chat_language(session, svc, case.chat_id)
    now = svc.clock.now()
    photos = await case_photos(session, case.id)
    slots = await slots_of(session, svc, case)
    cells = []
    for n, photo in enumerate(photos, start=1):
        data = await button_data(
            session,
            now=now,
            chat_id=case.chat_id,
            action_name="evidence.retag_photo",
            case_id=case.id,
            photo_id=photo.id,
        )
        cells.append([f"#{n} {slot_label(slots, photo.slot, lang)}", data])
    q.enqueue(
        session,
        at=now,
        chat_id=case.chat_id,
        kind="send_text",
        case_id=case.id,
        text=Raw(t("evidence.retag.pick_photo", lang)),
        buttons=grid(cells, 2),
    )
    return PressResult()


async def retag_photo(
    session: AsyncSession, svc: Services, _press: Press, button: Button, case: Case
) -> PressResult:
    """Post the slots one photo can take, as an answer to that photo."""
    assert case.id is not None  # the guard hands over stored cases only
    lang = await outbox.chat_language(session, svc, case.chat_id)
    photo = await session.get(Photo, button.args.get("photo_id"))
    if photo is None or photo.case_id != case.id:
        return PressResult(t("evidence.retag.gone", lang), alert=True)
    now = svc.clock.now()
    photos = await case_photos(session, case.id)
    slots = await slots_of(session, svc, case)
    cells = []
    for key, label in [
        *((s.key, s.label(lang)) for s in slots),
        ("", t("evidence.button.extra", lang)),
    ]:
        data = await button_data(
            session,
            now=now,
            chat_id=case.chat_id,
            action_name="evidence.set_tag",
            case_id=case.id,
            photo_id=photo.id,
            slot=key,
        )
        cells.append([label, data])
    q.enqueue(
        session,
        at=now,
        chat_id=case.chat_id,
        kind="send_text",
        case_id=case.id,
        text=Raw(
            t(
                "evidence.retag.pick_slot",
                lang,
                n=number_of(photos, photo.id),
                slot=slot_label(slots, photo.slot, lang),
            )
        ),
        reply_to=photo.message_id,
        buttons=grid(cells, 2),
    )
    return PressResult()


async def set_tag(
    session: AsyncSession, svc: Services, press: Press, button: Button, case: Case
) -> PressResult:
    """Move a photo to another slot (the photo there takes its old slot)."""
    assert case.id is not None  # the guard hands over stored cases only
    lang = await outbox.chat_language(session, svc, case.chat_id)
    photos = await case_photos(session, case.id)
    photo_id = button.args.get("photo_id")
    if not isinstance(photo_id, int) or photo_id not in {p.id for p in photos}:
        return PressResult(t("evidence.retag.gone", lang), alert=True)
    slots = await slots_of(session, svc, case)
    new_slot = button.args.get("slot") or None
    if new_slot is not None and new_slot not in {s.key for s in slots}:
        return PressResult(t("button.unknown", lang), alert=True)
    changes = checklist.retag({p.id or 0: p.slot for p in photos}, photo_id, new_slot)
    now = svc.clock.now()
    by_id = {p.id: p for p in photos}
    for pid, slot in changes.items():
        p = by_id[pid]
        q.audit(
            session,
            at=now,
            kind="photo.retagged",
            case_id=case.id,
            chat_id=case.chat_id,
            actor=press.user_id,
            photo_id=pid,
            old=p.slot,
            new=slot,
        )
        p.slot = slot
        session.add(p)
    if changes:
        case.updated_at = now
        session.add(case)
        q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
        mark_changed(session, case.id, actor=press.user_id)  # the checklist changed
    n = number_of(photos, photo_id)
    return PressResult(t("evidence.retag.done", lang, n=n, slot=slot_label(slots, new_slot, lang)))


async def switch_scenario(
    session: AsyncSession, svc: Services, press: Press, button: Button, case: Case
) -> PressResult:
    """Switch the case's checklist (general ↔ junction); tags without a slot become extras."""
    assert case.id is not None  # the guard hands over stored cases only
    lang = await outbox.chat_language(session, svc, case.chat_id)
    scenario = button.args.get("scenario")
    if scenario not in svc.deployment.evidence.scenarios or scenario == case.scenario:
        return PressResult(t("button.unknown", lang), alert=True)
    now = svc.clock.now()
    old, case.scenario, case.updated_at = case.scenario, scenario, now
    session.add(case)
    keys = {s.key for s in await slots_of(session, svc, case)}
    for p in await case_photos(session, case.id):
        if p.slot is not None and p.slot not in keys:
            p.slot = None
            session.add(p)
    q.audit(
        session,
        at=now,
        kind="case.scenario",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=press.user_id,
        old=old,
        new=scenario,
    )
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    mark_changed(session, case.id, actor=press.user_id)  # other shots are required now
    return PressResult(t("evidence.scenario.done", lang, scenario=scenario_name(scenario, lang)))


NOT_ALLOWED = "evidence.not_allowed"

# The buttons of this module, by action name (wired in bot/compose/wiring.py).
BUTTONS: dict[str, ButtonAction] = {
    "evidence.retag_menu": fast_path(retag_menu, not_allowed=NOT_ALLOWED),
    "evidence.retag_photo": fast_path(retag_photo, not_allowed=NOT_ALLOWED),
    "evidence.set_tag": fast_path(set_tag, not_allowed=NOT_ALLOWED),
    "evidence.scenario": fast_path(switch_scenario, not_allowed=NOT_ALLOWED),
}
