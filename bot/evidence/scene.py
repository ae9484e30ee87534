"""The scene: a location or venue in the case thread (or a photo's GPS) sets the position."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import EDITABLE
from bot.evidence import geo
from bot.evidence.checks import check_place, places
from bot.evidence.data import case_photos
from bot.kernel.buttons import ButtonAction, Press, PressResult
from bot.kernel.incoming import IncomingPlace
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.roles.lookup import may_work_on
from storage import queries as q
from storage.models import Button, Case, Photo


async def case_of_thread(session: AsyncSession, p: IncomingPlace) -> Case | None:
    """The case whose thread a message is in: its topic, or the reply chain it answers."""
    return await q.case_in_thread(
        session,
        chat_id=p.chat_id,
        topic_id=p.topic_id,
        anchors=(p.reply_to_message_id, p.chain_root_id),
    )


async def set_scene(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    lat: float,
    lon: float,
    source: str,
    actor: int,
    title: str | None = None,
    address: str | None = None,
    reply_to: int | None = None,
) -> None:
    """Record the scene, name the nearest point, re-screen photo places, re-render the card."""
    assert case.id is not None
    now = svc.clock.now()
    case.scene_lat, case.scene_lon, case.scene_source = lat, lon, source
    case.scene_title, case.scene_address = title, address
    case.scene_set_at, case.scene_set_by, case.updated_at = now, actor, now
    session.add(case)
    near = geo.nearest((lat, lon), places(svc))
    q.audit(
        session,
        at=now,
        kind="case.scene_set",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=actor,
        lat=lat,
        lon=lon,
        source=source,
        title=title,
        nearest=near[0].code if near else None,
        km=round(near[1], 2) if near else None,
    )
    for photo in await case_photos(session, case.id):
        await check_place(session, svc, case, photo)
    if near is not None:
        q.enqueue(
            session,
            at=now,
            chat_id=case.chat_id,
            kind="send_text",
            case_id=case.id,
            text=Raw(
                t("evidence.scene.set", svc.language, place=near[0].name, km=geo.format_km(near[1]))
            ),
            reply_to=reply_to,
        )
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)


async def locate_scene(svc: Services, p: IncomingPlace) -> bool:
    """A location posted in a case thread becomes the scene; False when it is in no case."""
    if not geo.valid_point(p.lat, p.lon):
        return False

    async def work(session: AsyncSession) -> int | None:
        case = await case_of_thread(session, p)
        if case is None:
            if await q.get_group(session, chat_id=p.chat_id) is not None:
                q.enqueue(
                    session,
                    at=svc.clock.now(),
                    chat_id=p.chat_id,
                    kind="send_text",
                    text=Raw(t("evidence.scene.outside_case", svc.language)),
                    reply_to=p.message_id,
                    thread_id=p.topic_id,
                )
            return None
        await q.link_message(
            session,
            chat_id=p.chat_id,
            message_id=p.message_id,
            case_id=case.id or 0,
            from_bot=False,
            kind="location",
        )
        await set_scene(
            session,
            svc,
            case,
            lat=p.lat,
            lon=p.lon,
            source="venue" if p.title else "location",
            actor=p.user_id,
            title=p.title,
            address=p.address,
            reply_to=p.message_id,
        )
        return case.id

    case_id = await svc.in_transaction(work)
    if case_id is None:
        return False
    if svc.geocoder is not None and not p.address:
        await _add_address(svc, case_id, p.lat, p.lon)
    return True


async def _add_address(svc: Services, case_id: int, lat: float, lon: float) -> None:
    # Online, after the offline answer is out: a slow or failing geocoder delays nothing.
    address = await svc.geocoder.address(lat, lon)
    if not address:
        return

    async def work(session: AsyncSession) -> None:
        case = await session.get(Case, case_id)
        if case is None or (case.scene_lat, case.scene_lon) != (lat, lon):
            return  # the scene moved meanwhile
        case.scene_address = address
        session.add(case)
        now = svc.clock.now()
        q.audit(
            session,
            at=now,
            kind="case.scene_address",
            case_id=case_id,
            chat_id=case.chat_id,
            address=address,
            source="geocoder",
        )
        q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case_id)

    await svc.in_transaction(work)


async def use_photo_gps(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """The proposed photo position becomes the scene."""
    case = await session.get(Case, button.case_id)
    photo = await session.get(Photo, button.args.get("photo_id"))
    if case is None or photo is None or photo.case_id != case.id or photo.gps_lat is None:
        return PressResult(t("evidence.retag.gone", svc.language), alert=True)
    if case.status not in EDITABLE:
        return PressResult(t("err.not_collecting", svc.language), alert=True)
    if not await may_work_on(session, svc, case, press.user_id):
        return PressResult(t("evidence.not_allowed", svc.language), alert=True)
    await set_scene(
        session,
        svc,
        case,
        lat=photo.gps_lat,
        lon=photo.gps_lon or 0.0,
        source="photo",
        actor=press.user_id,
    )
    return PressResult(t("evidence.gps.done", svc.language))


# The buttons of this module, by action name (wired in bot/compose/wiring.py).
BUTTONS: dict[str, ButtonAction] = {
    "evidence.use_photo_gps": use_photo_gps,
}
