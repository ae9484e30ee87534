"""What follows every change of a case's parties: audit, re-check, card, readiness, police."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.evidence import checklist
from bot.evidence import data as evidence_data
from bot.kernel.buttons import Press, PressResult
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.parties import eligibility, store
from bot.parties import texts as _texts  # noqa: F401  (registers this area's texts)
from bot.parties.masking import mask_phone
from bot.parties.money import grade_of
from bot.parties.readiness import CaseFacts, PartyFacts, missing
from bot.roles.lookup import may_work_on, people_for
from bot.rules.access import Action
from bot.rules.liability import check_grades
from storage import queries as q
from storage.models import Button, Case, Party

# A disputed case stays editable: the assistant updates evidence or figures, then it re-routes.
EDITABLE = ("collecting", "ready", "disputed")


async def refused(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    user_id: int,
    attempted: str,
    action: Action = Action.FAST_PATH_EDIT,
    kind: str = "button.refused",
) -> bool:
    """True when a person may not do this fast-path work on the case; the attempt is audited.

    Every parties button and the text intake ask this before changing anything.
    """
    if await may_work_on(session, svc, case, user_id, action=action):
        return False
    q.audit(
        session,
        at=svc.clock.now(),
        kind=kind,
        case_id=case.id,
        chat_id=case.chat_id,
        actor=user_id,
        reason="role",
        action=attempted,
    )
    return True


async def editable_case(
    session: AsyncSession,
    svc: Services,
    press: Press,
    button: Button,
    *,
    action: Action = Action.FAST_PATH_EDIT,
) -> Case | PressResult:
    """A fast-path button's case if it is editable and the presser may act, else the refusal."""
    case = await session.get(Case, button.case_id) if button.case_id else None
    if case is None or case.id is None or case.status not in EDITABLE:
        return PressResult(t("err.not_collecting", svc.language), alert=True)
    if await refused(
        session, svc, case, user_id=press.user_id, attempted=button.action, action=action
    ):
        return PressResult(t("err.not_allowed", svc.language), alert=True)
    return case


def party_complete(p: Party) -> bool:
    """Plate, insurer, driver name and phone, and vehicle type are known."""
    return bool(p.plate and p.insurer_code and p.driver_name and p.phone and p.vehicle_type)


async def facts(session: AsyncSession, svc: Services, case: Case) -> CaseFacts:
    """Everything readiness needs, read from the database."""
    assert case.id is not None
    parties = await store.parties_of(session, case_id=case.id)
    photos = await evidence_data.case_photos(session, case.id)
    slots = await evidence_data.slots_of(session, svc, case)
    grades = {p.label: grade_of(p.grade) for p in parties}
    valid = (
        all(grades.values())
        and len(parties) >= 2
        and check_grades({k: v for k, v in grades.items() if v is not None}) is None
    )
    return CaseFacts(
        photos_ok=checklist.is_complete(
            slots, [p.slot for p in photos], len(photos), svc.deployment.rules.photos_min
        ),
        parties=tuple(
            PartyFacts(
                label=p.label,
                complete=party_complete(p),
                grade=p.grade,
                estimate_fen=p.estimate_fen,
                confirmed=p.confirmed_at is not None,
            )
            for p in parties
        ),
        eligibility_complete=eligibility.next_question(case.eligibility) is None,
        eligible=eligibility.eligible(case.eligibility),
        grades_valid=valid,
        require_confirmations=svc.deployment.rules.require_confirmations,
    )


async def changed(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    actor: int | None,
    kind: str,
    substantive: bool = True,
    **data: object,
) -> None:
    """Record a change: audit it, void confirmations it affects, re-check readiness, redraw."""
    assert case.id is not None
    now = svc.clock.now()
    q.audit(session, at=now, kind=kind, case_id=case.id, chat_id=case.chat_id, actor=actor, **data)
    if substantive:
        # What a driver confirmed no longer stands once facts, grades or sums change.
        for p in await store.parties_of(session, case_id=case.id):
            if p.confirm_token is not None:  # a summary shown before is stale now
                p.confirm_token = None
                session.add(p)
            if p.confirmed_at is not None or p.refused_at is not None:
                p.confirmed_at = p.refused_at = None
                p.confirmed_via = None
                p.confirmed_by = None
                session.add(p)
                q.audit(
                    session,
                    at=now,
                    kind="party.confirmation_voided",
                    case_id=case.id,
                    chat_id=case.chat_id,
                    actor=actor,
                    label=p.label,
                )
    await evaluate(session, svc, case, actor=actor)
    case.updated_at = now
    session.add(case)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)


async def evaluate(session: AsyncSession, svc: Services, case: Case, *, actor: int | None) -> None:
    """Move the case between collecting and ready as its facts say; route a complete case.

    A case that becomes ready (or a disputed case that is complete again after a change)
    goes to its paying insurers at once (bot/claims/loop.py `route`).
    """
    if case.status not in EDITABLE:
        return
    now = svc.clock.now()
    gaps = missing(await facts(session, svc, case))
    if case.status == "collecting" and not gaps:
        case.status, case.ready_at = "ready", now
        q.audit(
            session, at=now, kind="case.ready", case_id=case.id, chat_id=case.chat_id, actor=actor
        )
    elif case.status == "ready" and gaps:
        case.status, case.ready_at = "collecting", None
        q.audit(
            session,
            at=now,
            kind="case.unready",
            case_id=case.id,
            chat_id=case.chat_id,
            actor=actor,
            missing=gaps,
        )
    session.add(case)
    if case.status in ("ready", "disputed") and not gaps:
        from bot.claims.loop import route  # late import: the insurer loop builds on this module

        await route(session, svc, case, actor=actor)


def mention(user_id: int, name: str) -> Raw:
    """An HTML mention that notifies the person."""
    return Raw(f'<a href="tg://user?id={user_id}">{escape(name or str(user_id))}</a>')


async def ask(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    user_id: int,
    user_name: str,
    question: str,
    label: str | None,
    reply_to: int | None = None,
    buttons: list[list[list[str]]] | None = None,
    **values: object,
) -> None:
    """Ask one person one question in the case thread, and remember it for their reply."""
    now = svc.clock.now()
    lifetime = timedelta(minutes=svc.deployment.rules.pending_question_minutes)
    await store.set_pending(
        session,
        case=case,
        user_id=user_id,
        question=question,
        label=label,
        now=now,
        lifetime=lifetime,
    )
    text = t(
        f"q.{question}", svc.language, who=mention(user_id, user_name), label=label or "", **values
    )
    say(session, svc, case, text, reply_to=reply_to, buttons=buttons)


def say(
    session: AsyncSession,
    svc: Services,
    case: Case,
    text: str,
    *,
    reply_to: int | None = None,
    buttons: list[list[list[str]]] | None = None,
) -> None:
    """Queue a message (safe HTML) in the case thread."""
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=case.chat_id,
        kind="send_text",
        case_id=case.id,
        text=text,
        reply_to=reply_to,
        buttons=buttons or [],
    )


async def hand_to_police(
    session: AsyncSession, svc: Services, case: Case, *, actor: int | None, reasons: list[str]
) -> None:
    """Leave the fast path: status police, audit, and a hand-over that mentions the police."""
    assert case.id is not None
    now = svc.clock.now()
    case.status = "police"
    case.updated_at = now
    session.add(case)
    q.audit(
        session,
        at=now,
        kind="case.police",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=actor,
        reasons=reasons,
    )
    people = await people_for(
        session, svc, chat_id=case.chat_id, township=case.township_code, role="police"
    )
    parties = await store.parties_of(session, case_id=case.id)
    summary = (
        "；".join(f"{p.label} {p.plate or '?'} {mask_phone(p.phone)}".strip() for p in parties)
        or "—"
    )
    text = t(
        "police.handover",
        svc.language,
        number=case.number,
        reasons="、".join(reasons),
        mentions=Raw(" ".join(mention(uid, name) for uid, name in people)),
        photos=await q.photo_count(session, case_id=case.id),
        parties=summary,
    )
    say(session, svc, case, text)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
