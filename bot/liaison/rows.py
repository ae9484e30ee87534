"""The export's rows: one per case opened in the period, read in pages of cases so that a
month of 150,000 cases never sits in memory at once (bot/liaison/xlsx.py and csv_file.py write
them as they come). Personal data is masked unless the chat may see it (bot/parties/masking.py,
the one masking the card and the agreement's group copy use too)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.liaison.export import ExportRow
from bot.parties.masking import mask_name, mask_phone
from bot.roles.offices import Oversight
from bot.rules.compensation_model import Layer
from bot.rules.periods import Period
from bot.rules.sla import Stage
from storage.models import Case, InsurerClaim, InsurerPayment, Party, StageClock

PAGE = 500
_APPROVED = ("approved", "paid")


async def export_rows(
    svc: Services, period: Period, seen: Oversight, *, lang: str
) -> AsyncIterator[ExportRow]:
    """Every case opened in the period that `seen` covers, oldest first."""
    after = 0
    while True:
        async with svc.db.session() as session:
            stmt = (
                select(Case)
                .where(
                    col(Case.opened_at) >= period.start,
                    col(Case.opened_at) < period.end,
                    col(Case.id) > after,
                )
                .order_by(col(Case.id))
                .limit(PAGE)
            )
            if seen.townships:
                stmt = stmt.where(col(Case.township_code).in_(sorted(seen.townships)))
            cases = list((await session.exec(stmt)).all())
            if not cases:
                return
            rows = await _page(session, svc, cases, seen, lang)
        after = cases[-1].id or after
        for row in rows:
            yield row


async def _page(
    session: AsyncSession, svc: Services, cases: list[Case], seen: Oversight, lang: str
) -> list[ExportRow]:
    ids = [c.id for c in cases if c.id is not None]
    parties: dict[int, list[Party]] = {}
    for p in (await session.exec(select(Party).where(col(Party.case_id).in_(ids)))).all():
        parties.setdefault(p.case_id, []).append(p)
    claims: dict[int, list[InsurerClaim]] = {}
    stmt = select(InsurerClaim).where(
        col(InsurerClaim.case_id).in_(ids), InsurerClaim.status != "superseded"
    )
    for c in (await session.exec(stmt)).all():
        claims.setdefault(c.case_id, []).append(c)
    claim_ids = [c.id for cs in claims.values() for c in cs if c.id is not None]
    paid_at: dict[int, datetime] = {}
    if claim_ids:
        pays = await session.exec(
            select(InsurerPayment).where(col(InsurerPayment.claim_id).in_(claim_ids))
        )
        for pay in pays.all():
            if pay.claim_id not in paid_at or pay.at > paid_at[pay.claim_id]:
                paid_at[pay.claim_id] = pay.at
    clocks: dict[int, list[StageClock]] = {}
    stmt_c = select(StageClock).where(col(StageClock.case_id).in_(ids)).order_by(col(StageClock.id))
    for s in (await session.exec(stmt_c)).all():
        clocks.setdefault(s.case_id, []).append(s)
    out = []
    for case in cases:
        assert case.id is not None
        mine = claims.get(case.id, [])
        if seen.insurer is not None:
            mine = [c for c in mine if c.insurer_code == seen.insurer]
            if not mine:
                continue
        out.append(
            _row(
                svc,
                case,
                parties.get(case.id, []),
                mine,
                clocks.get(case.id, []),
                paid_at,
                lang,
                seen,
            )
        )
    return out


def _row(
    svc: Services,
    case: Case,
    parties: list[Party],
    claims: list[InsurerClaim],
    clocks: list[StageClock],
    paid_at: dict[int, datetime],
    lang: str,
    seen: Oversight,
) -> ExportRow:
    minutes: dict[str, float | None] = {}
    met: dict[str, bool | None] = {}
    for clock in clocks:  # the last clock of a stage (per insurer: the slowest) stands
        name = t(f"sla.stage.{Stage(clock.stage).value}", lang)
        if clock.worked_seconds is not None:
            worked = clock.worked_seconds / 60
            minutes[name] = max(worked, minutes.get(name) or 0.0)
        if clock.met_target is not None:
            met[name] = clock.met_target and met.get(name, True) is not False
    layers: dict[str, int] = {}
    insurers: dict[str, int] = {}
    for claim in claims:
        for line in claim.layers:
            name = t(f"layer.{Layer(line['layer']).value}", lang)
            layers[name] = layers.get(name, 0) + int(line["amount_fen"])
        if claim.status in _APPROVED and claim.approved_fen is not None:
            name = svc.insurer_name(claim.insurer_code)
            insurers[name] = insurers.get(name, 0) + claim.approved_fen
    response = [c.stopped_at for c in clocks if c.stage == Stage.INSURER_RESPONSE and c.stopped_at]
    decided = [c.decided_at for c in claims if c.decided_at is not None]
    approved = [c.decided_at for c in claims if c.status in _APPROVED and c.decided_at]
    paid = [paid_at[c.id] for c in claims if c.status == "paid" and c.id in paid_at]
    personal = seen.show_personal_data
    drivers = "；".join(
        f"{p.label} {p.driver_name if personal else mask_name(p.driver_name)} "
        f"{p.phone if personal else mask_phone(p.phone)}".strip()
        for p in parties
        if p.driver_name or p.phone
    )
    grades = {p.label: p.grade for p in parties}
    return ExportRow(
        number=case.number,
        township=svc.township_name(case.township_code),
        status=t(f"status.{case.status}", lang),
        opened_at=case.opened_at,
        ready_at=case.ready_at,
        first_response_at=min(response + decided) if response or decided else None,
        approved_at=max(approved) if approved and len(approved) == len(claims) else None,
        paid_at=max(paid) if paid and len(paid) == len(claims) else None,
        closed_at=case.closed_at,
        stage_minutes=minutes,
        stage_met=met,
        parties="；".join(
            " ".join(
                bit
                for bit in (
                    p.label,
                    p.plate or "",
                    svc.insurer_name(p.insurer_code) if p.insurer_code else "",
                    t(f"grade.{grades[p.label]}", lang) if grades.get(p.label) else "",
                )
                if bit
            )
            for p in parties
        ),
        drivers=drivers,
        layers=layers,
        insurers=insurers,
        claim_numbers="；".join(
            f"{svc.insurer_name(c.insurer_code)} {c.claim_no or '—'}" for c in claims
        ),
        paid_fen=sum(c.paid_fen for c in claims),
    )
