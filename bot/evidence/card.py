"""The evidence part of the case card, its buttons, and the "next shot" question."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC
from html import escape
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.evidence.texts  # noqa: F401
from bot.case.card import CardPart
from bot.case.view import section
from bot.evidence import checklist, geo
from bot.evidence.data import case_link, case_photos, flags_of, may_act, number_of, slots_of
from bot.evidence.intake import ASK_KIND
from bot.evidence.storing import places
from bot.kernel.buttons import Press, PressResult, action, button_data, grid
from bot.kernel.services import Services
from bot.kernel.texts import CATALOG, Raw, t
from bot.parties import flow
from bot.parties.flow import EDITABLE
from storage import queries as q
from storage.models import Button, Case, ChatGroup, OutboxItem, Photo


async def _lang(session: AsyncSession, svc: Services, chat_id: int) -> str:
    group = (await session.exec(select(ChatGroup).where(ChatGroup.chat_id == chat_id))).first()
    return group.language if group else svc.language


def _slot_label(slots: list[checklist.Slot], key: str | None, lang: str) -> str:
    for s in slots:
        if s.key == key:
            return s.label(lang)
    return t("evidence.slot.extra", lang)


def _other_scenario(svc: Services, case: Case) -> str | None:
    names = list(svc.deployment.evidence.scenarios)
    if len(names) < 2:
        return None
    return (
        names[(names.index(case.scenario) + 1) % len(names)] if case.scenario in names else names[0]
    )


def _scenario_name(name: str, lang: str) -> str:
    key = f"evidence.scenario.{name}"
    return t(key, lang) if key in CATALOG else name


@section(order=10)
async def evidence_section(session: AsyncSession, svc: Services, case: Case) -> CardPart:
    """Checklist, photo state, fraud flags and scene, with the evidence buttons."""
    assert case.id is not None
    lang = await _lang(session, svc, case.chat_id)
    photos = await case_photos(session, case.id)
    slots = await slots_of(session, svc, case)
    taken = [p.slot for p in photos]
    left = checklist.missing(slots, taken)
    rules = svc.deployment.rules
    lines = [
        t(
            "evidence.card.checklist",
            lang,
            done=len(slots) - len(left),
            total=len(slots),
            scenario=_scenario_name(case.scenario, lang),
        )
    ]
    if left:
        lines.append(t("evidence.card.missing", lang, items="、".join(s.label(lang) for s in left)))
        lines.append(t("evidence.card.next", lang, slot=left[0].label(lang)))
    if len(photos) < rules.photos_min:
        lines.append(
            t("evidence.card.min", lang, min=rules.photos_min, short=rules.photos_min - len(photos))
        )
    if checklist.is_complete(slots, taken, len(photos), rules.photos_min):
        lines.append(t("evidence.card.complete", lang))
    counts = {s: sum(1 for p in photos if p.status == s) for s in ("pending", "failed")}
    if counts["pending"]:
        lines.append(t("evidence.card.pending", lang, n=counts["pending"]))
    if counts["failed"]:
        lines.append(t("evidence.card.failed", lang, n=counts["failed"]))
    # Compressed photos carry no time or place: say so once, here, with how to keep them.
    nometa = sum(1 for p in photos if p.kind == "photo")
    if nometa:
        lines.append(t("evidence.card.nometa", lang, n=nometa))
    lines += await _flag_lines(session, photos, case.id, lang)
    lines.append(_scene_line(svc, case, lang))
    return CardPart(lines=tuple(lines), buttons=await _buttons(session, svc, case, photos, lang))


async def _flag_lines(
    session: AsyncSession, photos: list[Photo], case_id: int, lang: str
) -> list[str]:
    out = []
    for flag in await flags_of(session, case_id):
        n = number_of(photos, flag.photo_id)
        if flag.kind == "reused":
            other = await session.get(Case, flag.other_case_id) if flag.other_case_id else None
            number = other.number if other else "?"
            link = case_link(other) if other else None
            shown = Raw(
                f'<a href="{escape(link)}">{escape(number)}</a>' if link else escape(number)
            )
            by = Raw(t(f"evidence.by.{flag.detail.get('by', 'sha256')}", lang))
            out.append(t("evidence.card.flag.reused", lang, n=n, other=shown, by=by))
        elif flag.kind == "too_old":
            out.append(t("evidence.card.flag.too_old", lang, n=n, hours=flag.detail.get("hours")))
        elif flag.kind == "future":
            taken = flag.detail.get("taken")
            out.append(t("evidence.card.flag.future", lang, n=n, taken=taken))
        elif flag.kind == "too_far":
            out.append(t("evidence.card.flag.too_far", lang, n=n, km=flag.detail.get("km")))
    return out


def _scene_line(svc: Services, case: Case, lang: str) -> str:
    if case.scene_lat is None or case.scene_lon is None:
        return t("evidence.card.no_scene", lang)
    near = geo.nearest((case.scene_lat, case.scene_lon), places(svc))
    if near is None:
        return t(
            "evidence.card.scene_named",
            lang,
            name=f"{case.scene_lat:.5f}, {case.scene_lon:.5f}",
            place="-",
            km="-",
        )
    name = case.scene_title or case.scene_address
    km = geo.format_km(near[1])
    if name:
        return t("evidence.card.scene_named", lang, name=name, place=near[0].name, km=km)
    return t("evidence.card.scene", lang, place=near[0].name, km=km)


async def _buttons(
    session: AsyncSession, svc: Services, case: Case, photos: list[Photo], lang: str
) -> tuple[tuple[tuple[str, str], ...], ...]:
    if case.status not in ("collecting", "ready"):
        return ()
    now = svc.clock.now()
    row: list[tuple[str, str]] = []
    if photos:
        data = await button_data(
            session,
            now=now,
            chat_id=case.chat_id,
            action_name="evidence.retag_menu",
            case_id=case.id,
        )
        row.append((t("evidence.button.retag", lang), data))
    other = _other_scenario(svc, case)
    if other is not None:
        data = await button_data(
            session,
            now=now,
            chat_id=case.chat_id,
            action_name="evidence.scenario",
            case_id=case.id,
            scenario=other,
        )
        row.append(
            (t("evidence.button.scenario", lang, scenario=_scenario_name(other, lang)), data)
        )
    return (tuple(row),) if row else ()


# --- buttons ---------------------------------------------------------------------------


async def _guard(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> tuple[Case | None, PressResult | None]:
    case = await session.get(Case, button.case_id)
    if case is None:
        return None, PressResult(t("button.unknown", svc.language), alert=True)
    if case.status not in EDITABLE:  # an old menu pressed after the case moved on
        return None, PressResult(t("err.not_collecting", svc.language), alert=True)
    if not await may_act(session, svc, case, press.user_id):
        q.audit(
            session,
            at=svc.clock.now(),
            kind="button.refused",
            case_id=case.id,
            chat_id=case.chat_id,
            actor=press.user_id,
            reason="role",
            action=button.action,
        )
        return None, PressResult(t("evidence.not_allowed", svc.language), alert=True)
    return case, None


@action("evidence.retag_menu")
async def retag_menu(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Post the list of the case's photos, one button each."""
    case, refusal = await _guard(session, svc, press, button)
    if case is None or case.id is None:
        return refusal or PressResult()
    lang = await _lang(session, svc, case.chat_id)
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
        cells.append([f"#{n} {_slot_label(slots, photo.slot, lang)}", data])
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


@action("evidence.retag_photo")
async def retag_photo(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Post the slots one photo can take, as an answer to that photo."""
    case, refusal = await _guard(session, svc, press, button)
    if case is None or case.id is None:
        return refusal or PressResult()
    lang = await _lang(session, svc, case.chat_id)
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
                slot=_slot_label(slots, photo.slot, lang),
            )
        ),
        reply_to=photo.message_id,
        buttons=grid(cells, 2),
    )
    return PressResult()


@action("evidence.set_tag")
async def set_tag(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Move a photo to another slot (the photo there takes its old slot)."""
    case, refusal = await _guard(session, svc, press, button)
    if case is None or case.id is None:
        return refusal or PressResult()
    lang = await _lang(session, svc, case.chat_id)
    photos = await case_photos(session, case.id)
    photo_id = button.args.get("photo_id")
    if photo_id not in {p.id for p in photos}:
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
        await flow.evaluate(session, svc, case, actor=press.user_id)  # the checklist changed
    n = number_of(photos, photo_id)
    return PressResult(t("evidence.retag.done", lang, n=n, slot=_slot_label(slots, new_slot, lang)))


@action("evidence.scenario")
async def switch_scenario(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Switch the case's checklist (general ↔ junction); tags without a slot become extras."""
    case, refusal = await _guard(session, svc, press, button)
    if case is None or case.id is None:
        return refusal or PressResult()
    lang = await _lang(session, svc, case.chat_id)
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
    await flow.evaluate(session, svc, case, actor=press.user_id)  # other shots are required now
    return PressResult(t("evidence.scenario.done", lang, scenario=_scenario_name(scenario, lang)))


# --- the "next shot" question, worded when it is sent ------------------------------------


async def ask_text(svc: Services, case_id: int) -> str | None:
    """The next missing shot (or that the checklist is complete), from the current state."""
    async with svc.db.session() as session:
        case = await session.get(Case, case_id)
        if case is None or case.status != "collecting":
            return None
        lang = await _lang(session, svc, case.chat_id)
        photos = await case_photos(session, case_id)
        slots = await slots_of(session, svc, case)
    left = checklist.missing(slots, [p.slot for p in photos])
    if left:
        return t("evidence.ask", lang, slot=left[0].label(lang), left=len(left))
    return t("evidence.ask.done", lang, count=len(photos))


ALBUM_QUIET_SECONDS = 1.5


async def _album_quiet(svc: Services, case_id: int, album: str) -> None:
    # An album has no end marker: wait (briefly, in this chat's lane only) until no part
    # has arrived for a moment, so the question covers the whole album.
    for _ in range(3):
        async with svc.db.session() as session:
            stmt = select(func.max(Photo.received_at)).where(
                Photo.case_id == case_id, Photo.media_group_id == album
            )
            newest = (await session.exec(stmt)).one()
        if newest is None:
            return
        if newest.tzinfo is None:
            newest = newest.replace(tzinfo=UTC)
        quiet = ALBUM_QUIET_SECONDS - (svc.clock.now() - newest).total_seconds()
        if quiet <= 0:
            return
        await asyncio.sleep(quiet)


def sender_kinds(
    send_text: Callable[[OutboxItem], Awaitable[None]], svc: Services
) -> dict[str, Any]:
    """Outbox kinds of the evidence area, for the Sender's handlers."""

    async def deliver_ask(item: OutboxItem) -> None:
        if item.case_id is None:
            return
        async with svc.db.transaction() as session:  # a newer question covers this one
            stmt = select(OutboxItem).where(
                OutboxItem.case_id == item.case_id,
                OutboxItem.kind == ASK_KIND,
                OutboxItem.status == "pending",
                col(OutboxItem.id) != item.id,
            )
            for row in (await session.exec(stmt)).all():
                row.status, row.done_at = "superseded", svc.clock.now()
                session.add(row)
        album = item.payload.get("album")
        if album:
            await _album_quiet(svc, item.case_id, album)
        text = await ask_text(svc, item.case_id)
        if text is None:
            return
        await send_text(
            OutboxItem(
                id=item.id,
                chat_id=item.chat_id,
                case_id=item.case_id,
                kind=item.kind,
                payload={"text": text},
                created_at=item.created_at,
            )
        )

    return {ASK_KIND: deliver_ask}
