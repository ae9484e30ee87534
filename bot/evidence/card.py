"""The evidence part of the case card, its buttons, and the "next shot" question."""

from __future__ import annotations

from html import escape

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.card import CardPart
from bot.case.status import CaseStatus
from bot.evidence import checklist, geo
from bot.evidence.checks import places
from bot.evidence.data import case_link, case_photos, flags_of, number_of, slots_of
from bot.kernel import outbox
from bot.kernel.buttons import button_data
from bot.kernel.services import Services
from bot.kernel.texts import CATALOG, Raw, t
from storage.models import Case, Photo


def slot_label(slots: list[checklist.Slot], key: str | None, lang: str) -> str:
    for s in slots:
        if s.key == key:
            return s.label(lang)
    return t("evidence.slot.extra", lang)


def other_scenario(svc: Services, case: Case) -> str | None:
    names = list(svc.deployment.evidence.scenarios)
    if len(names) < 2:
        return None
    return (
        names[(names.index(case.scenario) + 1) % len(names)] if case.scenario in names else names[0]
    )


def scenario_name(name: str, lang: str) -> str:
    key = f"evidence.scenario.{name}"
    return t(key, lang) if key in CATALOG else name


async def evidence_section(session: AsyncSession, svc: Services, case: Case) -> CardPart:
    """Checklist, photo state, fraud flags and scene, with the evidence buttons."""
    assert case.id is not None
    lang = await outbox.chat_language(session, svc, case.chat_id)
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
            scenario=scenario_name(case.scenario, lang),
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
    joined = [f"#{n}" for n, p in enumerate(photos, start=1) if p.joined]
    if joined:
        lines.append(t("evidence.card.joined", lang, numbers="、".join(joined)))
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
    if case.status not in (CaseStatus.COLLECTING, CaseStatus.READY):
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
    other = other_scenario(svc, case)
    if other is not None:
        data = await button_data(
            session,
            now=now,
            chat_id=case.chat_id,
            action_name="evidence.scenario",
            case_id=case.id,
            scenario=other,
        )
        row.append((t("evidence.button.scenario", lang, scenario=scenario_name(other, lang)), data))
    return (tuple(row),) if row else ()
