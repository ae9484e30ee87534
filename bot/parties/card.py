"""The parties' part of the case card: parties, eligibility, liability, money, what is missing."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.card import CardPart
from bot.case.status import EDITABLE
from bot.kernel.buttons import case_button
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.parties import eligibility, readiness, responsible, store
from bot.parties.labels import next_label, order
from bot.parties.masking import mask_name, mask_phone
from bot.parties.menus import preset_label
from bot.parties.money import compute, grade_of, policy_from, table_lines
from bot.parties.readiness import missing
from bot.rules.amounts import format_fen
from bot.rules.compensation import Party as RuleParty
from bot.rules.compensation import insurer_totals
from bot.rules.presets import PRESETS_BY_CODE
from storage.models import Case, Party


def _party_line(svc: Services, p: Party, insurers: dict[str, str]) -> str:
    lang = svc.language
    if not (p.plate or p.insurer_code or p.phone):
        return t("parties.empty", lang, label=p.label)
    bits = [f"<b>{escape(p.label)}</b> {escape(p.plate or '?')}"]
    if p.insurer_code:
        bits.append(escape(insurers.get(p.insurer_code, p.insurer_code)))
    if p.vehicle_type:
        bits.append(escape(p.vehicle_type))
    if p.driver_name or p.phone:
        bits.append(escape(f"{mask_name(p.driver_name)} {mask_phone(p.phone)}".strip()))
    if p.estimate_fen is not None:
        bits.append(t("parties.estimate", lang, amount=format_fen(p.estimate_fen)))
    if p.other_property_fen:
        bits.append(t("parties.other", lang, amount=format_fen(p.other_property_fen)))
    grade = grade_of(p.grade)
    if grade is not None:
        bits.append(t("parties.grade_liability", lang, grade=t(f"grade.{grade.value}", lang)))
    if p.confirmed_at is not None:
        bits.append(t("parties.confirmed", lang, via=t(f"parties.via.{p.confirmed_via}", lang)))
    elif p.refused_at is not None:
        bits.append(t("parties.refused", lang))
    else:
        bits.append(t("parties.unconfirmed", lang))
    return " · ".join(bits)


async def _repeat_lines(
    session: AsyncSession, svc: Services, case: Case, parties: list[Party]
) -> list[str]:
    hours = svc.deployment.rules.repeat_accident_window_hours
    since = case.opened_at - timedelta(hours=hours)
    lines = []
    for p in parties:
        for other, what in await store.recent_cases_with(
            session, case_id=case.id or 0, since=since, plate=p.plate, phone=p.phone
        ):
            shown = p.plate if what == "plate" else mask_phone(p.phone)
            lines.append(
                t(
                    "parties.repeat",
                    svc.language,
                    what=shown,
                    hours=f"{hours:g}",
                    other=_case_ref(other),
                )
            )
    return lines


def _case_ref(case: Case) -> str:
    """The case number, linked to its card when Telegram can link to it."""
    return case.number  # escaped by t(); links to private supergroups need a member anyway


def _money_lines(svc: Services, parties: list[Party], insurers: dict[str, str]) -> list[str]:
    rule_parties = []
    for p in parties:
        grade = grade_of(p.grade)
        if grade is None or p.estimate_fen is None or not p.insurer_code:
            return []
        rule_parties.append(
            RuleParty(p.label, p.insurer_code, grade, p.estimate_fen, p.other_property_fen)
        )
    try:
        payments = compute(rule_parties, policy_from(svc.deployment.compensation))
    except ValueError:
        return []
    lines = [t("parties.money.section", svc.language)] + table_lines(
        payments, insurers, svc.language
    )
    totals = insurer_totals(payments)
    lines.append(
        t(
            "parties.money.totals",
            svc.language,
            totals="；".join(
                f"{insurers.get(code, code)} {format_fen(fen)}" for code, fen in totals.items()
            ),
        )
    )
    return lines


async def parties_section(session: AsyncSession, svc: Services, case: Case) -> CardPart | None:
    """Render the parties' block of the card and the buttons to fill it in."""
    assert case.id is not None
    lang = svc.language
    insurers = {i.code: i.short_name for i in svc.deployment.insurers}
    parties = await store.parties_of(session, case_id=case.id)
    shown = {p.label: p for p in parties}
    for label in ("甲", "乙"):
        shown.setdefault(label, Party(case_id=case.id, label=label))
    ordered = sorted(shown.values(), key=lambda p: order(p.label))
    lines = [t("parties.section", lang), *(_party_line(svc, p, insurers) for p in ordered)]
    lines += await _repeat_lines(session, svc, case, parties)

    lines += ["", t("parties.elig.section", lang)]
    failed = eligibility.failures(case.eligibility)
    nxt = eligibility.next_question(case.eligibility)
    if failed:
        lines.append(
            t(
                "parties.elig.failed",
                lang,
                reasons="、".join(
                    t(f"parties.elig.a.{f.code}.{case.eligibility[f.code]}", lang) for f in failed
                ),
            )
        )
    elif nxt is None:
        lines.append(t("parties.elig.ok", lang))
    else:
        lines.append(t("parties.elig.next", lang, question=t(f"parties.elig.q.{nxt.code}", lang)))

    lines += ["", t("parties.liab.section", lang)]
    grades = [
        f"{p.label} {t(f'grade.{g.value}', lang) if (g := grade_of(p.grade)) else t('parties.liab.none', lang)}"
        for p in ordered
    ]
    lines.append(" / ".join(grades))
    tags = [
        f"{p.label}：{preset_label(PRESETS_BY_CODE[c], lang)}"
        for p in ordered
        for c in p.situations
        if c in PRESETS_BY_CODE
    ]
    if tags:
        lines.append(t("parties.liab.from_preset", lang, items="；".join(tags)))
    facts = await readiness.facts(session, svc, case)
    gaps = missing(facts)
    if "liability_invalid" in gaps:
        lines.append(t("parties.liab.invalid", lang))

    money = _money_lines(svc, parties, insurers)
    if money:
        lines += ["", *money]
    buttons = await _buttons(session, svc, case, ordered, nxt) if case.status in EDITABLE else ()
    return CardPart(lines=tuple(lines), buttons=buttons)


def _gap_text(gap: str, lang: str) -> str:
    kind, _, label = gap.partition(":")
    key = {
        "party": "parties.ready.item.party",
        "estimate": "parties.ready.item.estimate",
        "confirm": "parties.ready.item.confirm",
    }.get(kind, f"parties.ready.item.{kind}")
    return t(key, lang, label=label)


async def _buttons(
    session: AsyncSession,
    svc: Services,
    case: Case,
    parties: list[Party],
    nxt: eligibility.Question | None,
) -> tuple[tuple[tuple[str, str], ...], ...]:
    lang = svc.language

    async def b(name: str, **args: object) -> str:
        return await case_button(session, svc, case, name, **args)

    rows: list[tuple[tuple[str, str], ...]] = []
    row = [
        (t("parties.b.party", lang, label=p.label), await b("party.edit", label=p.label))
        for p in parties
    ]
    extra = next_label({p.label for p in parties}, svc.deployment.rules.max_parties)
    if extra is not None:
        row.append((t("parties.b.add_party", lang, label=extra), await b("party.add")))
    rows.append(tuple(row))
    if nxt is not None:
        answers = []
        for value in (nxt.fast, not nxt.fast):  # the fast-path answer first
            data = await b("elig.answer", question=nxt.code, value=value)
            answers.append((t(f"parties.elig.a.{nxt.code}.{value}", lang), data))
        rows.append(tuple(answers))
    rows.append(
        (
            (t("parties.b.situation", lang), await b("liab.menu")),
            (t("parties.b.direct", lang), await b("liab.direct")),
            (t("parties.b.estimate", lang), await b("est.ask")),
        )
    )
    confirm_row = [(t("parties.b.links", lang), await b("confirm.links"))]
    confirm_row += [
        (t("parties.b.paper", lang, label=p.label), await b("confirm.paper", label=p.label))
        for p in parties
        if p.confirmed_at is None and p.id is not None
    ]
    rows.append(tuple(confirm_row[:3]))
    rows.append(((t("parties.b.other", lang), await b("other.ask")),))
    return tuple(rows)


async def readiness_section(session: AsyncSession, svc: Services, case: Case) -> CardPart | None:
    """The last line of an open case: what is still missing, or that it is complete."""
    if case.status not in EDITABLE:
        return None
    gaps = missing(await readiness.facts(session, svc, case))
    lang = svc.language
    needed = await responsible.needs_someone(session, svc, case)
    if not gaps:
        lines = [t("parties.ready.ready_waiting" if needed else "parties.ready.ready", lang)]
    else:
        lines = [
            t("parties.ready.missing", lang, items="、".join(_gap_text(g, lang) for g in gaps))
        ]
    if not needed:
        if case.responsible_name and case.responsible_id != case.opened_by:
            lines.append(t("parties.ready.responsible", lang, name=case.responsible_name))
        return CardPart(lines=tuple(lines))
    lines.append(t("parties.ready.needs_responsible", lang))
    take = await case_button(session, svc, case, responsible.TAKE)
    return CardPart(lines=tuple(lines), buttons=(((t("parties.b.take", lang), take),),))
