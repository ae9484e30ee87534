"""Use cases of the police path: /queue, claim, release, cancel (with a reason), take over,
hand back, and the police block of the case card.

Every press re-checks, in one transaction: the presser's grants in the case's own group
(bot/rules/access.py; anyone else gets an alert, nothing changes and the attempt is
audited), then whether the move applies to the case as it stands (bot/police/rules.py).
Each state change is a compare-and-set UPDATE on the columns it depends on, so of two
officers pressing at once exactly one wins; one audit event records it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.card import CardPart
from bot.kernel import outbox, questions
from bot.kernel.buttons import ButtonAction, Press, PressResult, button_data, case_button
from bot.kernel.incoming import Command, IncomingText
from bot.kernel.services import Services, mark_changed
from bot.kernel.texts import Raw, t
from bot.parties import eligibility
from bot.police.rules import POLICE, Refusal, card_moves, clean_reason, refusal
from bot.roles.lookup import grants_of
from bot.rules.access import Action, may
from bot.timeline.format import format_duration
from storage import queries as q
from storage.models import AuditEvent, Button, Case, PendingInput

CANCEL_QUESTION = "police_cancel"
QUEUE_MAX_LISTED = 30
BUTTON_LABELS = {
    Action.POLICE_CLAIM: "pol.b.claim",
    Action.POLICE_RELEASE: "pol.b.release",
    Action.POLICE_CANCEL: "pol.b.cancel",
    Action.POLICE_TAKE_OVER: "pol.b.take_over",
    Action.POLICE_HAND_BACK: "pol.b.hand_back",
}


# --- checks -----------------------------------------------------------------------------


async def _is_officer(
    session: AsyncSession, svc: Services, case: Case, *, user_id: int, move: Action
) -> bool:
    grants = await grants_of(
        session, svc, chat_id=case.chat_id, user_id=user_id, township=case.township_code
    )
    return may(move, grants)


def _audit_refused(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    user_id: int,
    user_name: str,
    move: Action,
    reason: str,
) -> None:
    q.audit(
        session,
        at=svc.clock.now(),
        kind="police.refused",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=user_id,
        actor_name=user_name,
        attempted=move.value,
        reason=reason,
    )


def _why(svc: Services, why: Refusal, case: Case) -> str:
    return t(f"pol.no.{why.value}", svc.language, who=case.police_claimed_by_name or "")


def _refused(svc: Services, why: Refusal, case: Case) -> PressResult:
    # A repeat of one's own claim is harmless: a toast, not an alert.
    return PressResult(_why(svc, why, case), alert=why is not Refusal.MINE)


async def _checked(
    session: AsyncSession, svc: Services, press: Press, button: Button, move: Action
) -> Case | PressResult:
    """The button's case if the presser is police and the move applies, else the answer."""
    case = await session.get(Case, button.case_id) if button.case_id else None
    if case is None or case.id is None:
        return PressResult(t("pol.alert.gone", svc.language), alert=True)
    if not await _is_officer(session, svc, case, user_id=press.user_id, move=move):
        _audit_refused(
            session,
            svc,
            case,
            user_id=press.user_id,
            user_name=press.user_name,
            move=move,
            reason="not_police",
        )
        return PressResult(t("pol.alert.not_police", svc.language), alert=True)
    why = refusal(
        move, status=case.status, claimed_by=case.police_claimed_by, officer=press.user_id
    )
    return _refused(svc, why, case) if why is not None else case


async def _set(session: AsyncSession, case: Case, *conditions: object, **values: object) -> bool:
    """Compare-and-set on the case row; True when this transaction made the change."""
    conn = await session.connection()
    result = await conn.execute(
        update(Case).where(col(Case.id) == case.id, *conditions).values(**values)  # type: ignore[arg-type]
    )
    await session.refresh(case)
    return result.rowcount == 1


def _holder_is(officer: int) -> object:
    """The claim is free or the officer's own."""
    return or_(col(Case.police_claimed_by).is_(None), col(Case.police_claimed_by) == officer)


def _redraw(session: AsyncSession, svc: Services, case: Case) -> None:
    q.enqueue(session, at=svc.clock.now(), chat_id=case.chat_id, kind="edit_card", case_id=case.id)


def _who(user_id: int, name: str) -> Raw:
    return outbox.mention(user_id, name)


# --- claim and release -------------------------------------------------------------------


async def _after_queue_press(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> None:
    """A press on the /queue message redraws that message."""
    if button.args.get("from") == "queue" and press.message_id is not None:
        text, buttons = await queue_view(session, svc, chat_id=press.chat_id)
        q.enqueue(
            session,
            at=svc.clock.now(),
            chat_id=press.chat_id,
            kind="edit_text",
            message_id=press.message_id,
            text=Raw(text),
            buttons=buttons,
        )


async def claim(session: AsyncSession, svc: Services, press: Press, button: Button) -> PressResult:
    """Claim a case handed to police; exclusive."""
    found = await _checked(session, svc, press, button, Action.POLICE_CLAIM)
    if isinstance(found, PressResult):
        return found
    case, now = found, svc.clock.now()
    won = await _set(
        session,
        case,
        col(Case.status) == POLICE,
        col(Case.police_claimed_by).is_(None),
        police_claimed_by=press.user_id,
        police_claimed_by_name=press.user_name,
        police_claimed_at=now,
        updated_at=now,
    )
    if not won:  # someone else was quicker
        why = refusal(
            Action.POLICE_CLAIM,
            status=case.status,
            claimed_by=case.police_claimed_by,
            officer=press.user_id,
        )
        return _refused(svc, why or Refusal.CLAIMED, case)
    q.audit(
        session,
        at=now,
        kind="police.claimed",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=press.user_id,
        actor_name=press.user_name,
    )
    _redraw(session, svc, case)
    await _after_queue_press(session, svc, press, button)
    return PressResult(t("pol.ok.claimed", svc.language))


async def release(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Give up one's own claim; the case goes back to the queue unclaimed."""
    found = await _checked(session, svc, press, button, Action.POLICE_RELEASE)
    if isinstance(found, PressResult):
        return found
    case, now = found, svc.clock.now()
    won = await _set(
        session,
        case,
        col(Case.status) == POLICE,
        col(Case.police_claimed_by) == press.user_id,
        police_claimed_by=None,
        police_claimed_by_name=None,
        police_claimed_at=None,
        updated_at=now,
    )
    if not won:
        return _refused(svc, Refusal.NOT_CLAIMED, case)
    q.audit(
        session,
        at=now,
        kind="police.released",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=press.user_id,
        actor_name=press.user_name,
    )
    _redraw(session, svc, case)
    return PressResult(t("pol.ok.released", svc.language))


# --- take over and hand back --------------------------------------------------------------


async def take_over(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Take any open case off the fast path: status police, claimed by the officer."""
    found = await _checked(session, svc, press, button, Action.POLICE_TAKE_OVER)
    if isinstance(found, PressResult):
        return found
    case, now = found, svc.clock.now()
    was = case.status
    won = await _set(
        session,
        case,
        col(Case.status) == was,
        status=POLICE,
        police_claimed_by=press.user_id,
        police_claimed_by_name=press.user_name,
        police_claimed_at=now,
        updated_at=now,
    )
    if not won:
        return PressResult(t("button.unknown", svc.language), alert=True)
    q.audit(
        session,
        at=now,
        kind="case.police",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=press.user_id,
        actor_name=press.user_name,
        via="take_over",
        was=was,
    )
    lang = svc.language
    was_name = Raw(t(f"status.{was}", lang))
    text = t("pol.say.taken_over", lang, who=_who(press.user_id, press.user_name), was=was_name)
    outbox.say(session, svc, case, text)
    _redraw(session, svc, case)
    return PressResult(t("pol.ok.taken_over", lang))


async def hand_back(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Return a police case to the fast path; readiness decides whether it is ready."""
    found = await _checked(session, svc, press, button, Action.POLICE_HAND_BACK)
    if isinstance(found, PressResult):
        return found
    case, now = found, svc.clock.now()
    won = await _set(
        session,
        case,
        col(Case.status) == POLICE,
        _holder_is(press.user_id),
        status="collecting",
        ready_at=None,
        police_claimed_by=None,
        police_claimed_by_name=None,
        police_claimed_at=None,
        updated_at=now,
    )
    if not won:
        return _refused(svc, Refusal.CLAIMED, case)
    # The answers that sent the case to the police are asked again: the officer's
    # decision replaces them, and a failing answer would keep the case from `ready`.
    failed = [f.code for f in eligibility.failures(case.eligibility)]
    if failed:
        case.eligibility = {k: v for k, v in case.eligibility.items() if k not in failed}
        session.add(case)
    q.audit(
        session,
        at=now,
        kind="case.handed_back",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=press.user_id,
        actor_name=press.user_name,
        cleared=failed,
    )
    mark_changed(session, case.id, actor=press.user_id)
    lang = svc.language
    again = Raw(t("pol.say.ask_again", lang)) if failed else ""
    text = t("pol.say.handed_back", lang, who=_who(press.user_id, press.user_name), again=again)
    outbox.say(session, svc, case, text)
    _redraw(session, svc, case)
    return PressResult(t("pol.ok.handed_back", lang))


# --- cancel, with a reason ----------------------------------------------------------------


async def cancel_ask(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Ask the officer for the reason; the case is cancelled when they reply."""
    found = await _checked(session, svc, press, button, Action.POLICE_CANCEL)
    if isinstance(found, PressResult):
        return found
    await outbox.ask(
        session,
        svc,
        found,
        user_id=press.user_id,
        user_name=press.user_name,
        question=CANCEL_QUESTION,
        label=None,
        number=found.number,
    )
    return PressResult(t("pol.ok.asked", svc.language))


async def cancel_answer(
    session: AsyncSession, svc: Services, case: Case, _pending: PendingInput, m: IncomingText
) -> str:
    """The officer's reply with the reason: re-check, then cancel the case."""
    assert case.id is not None
    lang, now = svc.language, svc.clock.now()

    def reply(text: str) -> None:
        outbox.say(session, svc, case, text, reply_to=m.message_id)

    if not await _is_officer(session, svc, case, user_id=m.user_id, move=Action.POLICE_CANCEL):
        await questions.clear_pending(session, case_id=case.id, user_id=m.user_id)
        _audit_refused(
            session,
            svc,
            case,
            user_id=m.user_id,
            user_name=m.user_name,
            move=Action.POLICE_CANCEL,
            reason="not_police",
        )
        reply(t("pol.err.cannot", lang, why=Raw(t("pol.alert.not_police", lang))))
        return "refused"
    why = refusal(
        Action.POLICE_CANCEL,
        status=case.status,
        claimed_by=case.police_claimed_by,
        officer=m.user_id,
    )
    if why is not None:
        await questions.clear_pending(session, case_id=case.id, user_id=m.user_id)
        reply(t("pol.err.cannot", lang, why=Raw(_why(svc, why, case))))
        return "refused"
    reason = clean_reason(m.text)
    if reason is None:
        reply(t("pol.err.reason", lang))  # the question stays open
        return "refused"
    was = case.status
    won = await _set(
        session,
        case,
        col(Case.status) == POLICE,
        _holder_is(m.user_id),
        status="cancelled",
        updated_at=now,
    )
    await questions.clear_pending(session, case_id=case.id, user_id=m.user_id)
    if not won:
        reply(t("pol.err.cannot", lang, why=Raw(_why(svc, Refusal.CLAIMED, case))))
        return "refused"
    q.audit(
        session,
        at=now,
        kind="case.cancelled",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=m.user_id,
        actor_name=m.user_name,
        reason=reason,
        was=was,
    )
    who = _who(m.user_id, m.user_name)
    reply(t("pol.say.cancelled", lang, who=who, reason=reason))
    _redraw(session, svc, case)
    return "cancelled"


# --- the card ------------------------------------------------------------------------------


def _local(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%m-%d %H:%M")


async def _latest(session: AsyncSession, case_id: int, kind: str) -> AuditEvent | None:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.case_id == case_id, AuditEvent.kind == kind)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    )
    return (await session.exec(stmt)).first()


async def police_section(session: AsyncSession, svc: Services, case: Case) -> CardPart | None:
    """Who holds a police case, why a case was cancelled, and the police buttons."""
    assert case.id is not None
    lang = svc.language
    group = await q.get_group(session, chat_id=case.chat_id)
    timezone = group.timezone if group else svc.timezone
    lines: list[str] = []
    if case.status == POLICE:
        if case.police_claimed_by is not None and case.police_claimed_at is not None:
            when = _local(case.police_claimed_at, timezone)
            who = case.police_claimed_by_name or str(case.police_claimed_by)
            lines.append(t("pol.card.claimed", lang, who=who, time=when))
        else:
            lines.append(t("pol.card.unclaimed", lang))
    elif case.status == "cancelled":
        event = await _latest(session, case.id, "case.cancelled")
        if event is not None:
            who = event.data.get("actor_name") or str(event.actor_user_id)
            lines.append(
                t("pol.card.cancelled", lang, who=who, reason=event.data.get("reason", ""))
            )
    moves = card_moves(status=case.status, claimed=case.police_claimed_by is not None)
    row = []
    for move in moves:
        data = await case_button(session, svc, case, move.value)
        row.append((t(BUTTON_LABELS[move], lang), data))
    if not lines and not row:
        return None
    return CardPart(lines=tuple(lines), buttons=(tuple(row),) if row else ())


# --- /queue -------------------------------------------------------------------------------


async def queue_view(
    session: AsyncSession, svc: Services, *, chat_id: int
) -> tuple[str, list[list[list[str]]]]:
    """The group's police cases, oldest hand-over first, with a claim button for each free one."""
    lang, now = svc.language, svc.clock.now()
    group = await q.get_group(session, chat_id=chat_id)
    township = svc.township_name(group.township_code) if group else ""
    stmt = select(Case).where(Case.chat_id == chat_id, Case.status == POLICE)
    cases = list((await session.exec(stmt)).all())
    if not cases:
        return t("pol.queue.empty", lang, township=township), []
    handed: dict[int, datetime] = {}
    ids = [c.id for c in cases if c.id is not None]
    events = select(AuditEvent).where(
        col(AuditEvent.case_id).in_(ids), AuditEvent.kind == "case.police"
    )
    for e in (await session.exec(events)).all():
        if e.case_id is not None and (e.case_id not in handed or e.at > handed[e.case_id]):
            handed[e.case_id] = e.at
    cases.sort(key=lambda c: (handed.get(c.id or 0, c.updated_at), c.id or 0))
    lines = [t("pol.queue.title", lang, township=township, count=len(cases))]
    buttons: list[list[list[str]]] = []
    for i, case in enumerate(cases[:QUEUE_MAX_LISTED], start=1):
        age = format_duration(now - handed.get(case.id or 0, case.updated_at), lang)
        if case.police_claimed_by is not None:
            name = case.police_claimed_by_name or str(case.police_claimed_by)
            state = t("pol.queue.claimed", lang, who=name)
        else:
            state = t("pol.queue.unclaimed", lang)
            data = await button_data(
                session,
                now=now,
                chat_id=chat_id,
                case_id=case.id,
                action_name=Action.POLICE_CLAIM.value,
                **{"from": "queue"},
            )
            buttons.append([t("pol.b.claim_case", lang, number=case.number), data])
        lines.append(
            t(
                "pol.queue.line",
                lang,
                i=i,
                number=case.number,
                age=Raw(age),
                state=Raw(state),
            )
        )
    if len(cases) > QUEUE_MAX_LISTED:
        lines.append(t("pol.queue.more", lang, count=len(cases) - QUEUE_MAX_LISTED))
    return "\n".join(lines), [[b] for b in buttons]


async def show_queue(svc: Services, cmd: Command) -> int:
    """/queue in a registered group: the list; returns how many claim buttons it carries."""

    async def work(session: AsyncSession) -> int:
        lang = svc.language
        if cmd.chat_type == "private" or await q.get_group(session, chat_id=cmd.chat_id) is None:
            text, buttons = t("pol.queue.unregistered", lang), []
        else:
            text, buttons = await queue_view(session, svc, chat_id=cmd.chat_id)
        q.enqueue(
            session,
            at=svc.clock.now(),
            chat_id=cmd.chat_id,
            kind="send_text",
            text=Raw(text),
            reply_to=cmd.message_id,
            thread_id=cmd.thread_id,
            buttons=buttons,
        )
        return len(buttons)

    return await svc.in_transaction(work)


# The buttons of this module, by action name (wired in bot/wiring.py).
BUTTONS: dict[str, ButtonAction] = {
    "police.claim": claim,
    "police.release": release,
    "police.take_over": take_over,
    "police.hand_back": hand_back,
    "police.cancel": cancel_ask,
}
