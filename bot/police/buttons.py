"""Use cases of the police path: /queue, claim, release, cancel (with a reason), take over,
hand back, and the police block of the case card.

Every press re-checks, in one transaction: the presser's grants in the case's own group
(bot/rules/access.py; anyone else gets an alert, nothing changes and the attempt is
audited), then whether the move applies to the case as it stands (bot/police/rules.py).
Each state change is a compare-and-set UPDATE on the columns it depends on, so of two
officers pressing at once exactly one wins; one audit event records it.
"""

from __future__ import annotations

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import clocks, lifecycle
from bot.case.status import CaseStatus
from bot.kernel import outbox
from bot.kernel.buttons import ButtonAction, Press, PressResult
from bot.kernel.services import Services, mark_changed
from bot.kernel.texts import Raw, t
from bot.parties import eligibility
from bot.police.checks import (
    CANCEL_QUESTION,
    checked,
    holder_is,
    officer_mention,
    redraw,
    refused,
    set_claim,
)
from bot.police.queue import queue_view
from bot.police.rules import POLICE, Refusal, refusal
from bot.rules import sla
from bot.rules.access import Action
from storage import queries as q
from storage.models import Button, Case


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
    found = await checked(session, svc, press, button, Action.POLICE_CLAIM)
    if isinstance(found, PressResult):
        return found
    case, now = found, svc.clock.now()
    won = await set_claim(
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
        return refused(svc, why or Refusal.CLAIMED, case)
    clocks.note(session, case.id, sla.Event.OFFICER_CLAIMED, at=now)
    q.audit(
        session,
        at=now,
        kind="police.claimed",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=press.user_id,
        actor_name=press.user_name,
    )
    redraw(session, svc, case)
    await _after_queue_press(session, svc, press, button)
    return PressResult(t("police.ok.claimed", svc.language))


async def release(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Give up one's own claim; the case goes back to the queue unclaimed."""
    found = await checked(session, svc, press, button, Action.POLICE_RELEASE)
    if isinstance(found, PressResult):
        return found
    case, now = found, svc.clock.now()
    won = await set_claim(
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
        return refused(svc, Refusal.NOT_CLAIMED, case)
    # Back in the queue unclaimed: waiting for an officer again, a new pickup clock.
    clocks.note(session, case.id, sla.Event.HANDED_TO_POLICE, at=now)
    q.audit(
        session,
        at=now,
        kind="police.released",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=press.user_id,
        actor_name=press.user_name,
    )
    redraw(session, svc, case)
    return PressResult(t("police.ok.released", svc.language))


async def take_over(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Take any open case off the fast path: status police, claimed by the officer."""
    found = await checked(session, svc, press, button, Action.POLICE_TAKE_OVER)
    if isinstance(found, PressResult):
        return found
    case, now = found, svc.clock.now()
    was = case.status
    won = await lifecycle.move(
        session,
        case,
        CaseStatus.POLICE,
        at=now,
        actor=press.user_id,
        values={
            "police_claimed_by": press.user_id,
            "police_claimed_by_name": press.user_name,
            "police_claimed_at": now,
        },
        actor_name=press.user_name,
        via="take_over",
        was=was,
    )
    if not won:
        return PressResult(t("button.unknown", svc.language), alert=True)
    clocks.note(session, case.id, sla.Event.OFFICER_CLAIMED, at=now)
    was_name = Raw(t(f"status.{was}", svc.language))
    return _announce(session, svc, case, press, "taken_over", was=was_name)


async def hand_back(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Return a police case to the fast path; readiness decides whether it is ready."""
    found = await checked(session, svc, press, button, Action.POLICE_HAND_BACK)
    if isinstance(found, PressResult):
        return found
    case, now = found, svc.clock.now()
    # The answers that sent the case to the police are asked again: the officer's
    # decision replaces them, and a failing answer would keep the case from `ready`.
    failed = [f.code for f in eligibility.failures(case.eligibility)]
    won = await lifecycle.move(
        session,
        case,
        CaseStatus.COLLECTING,
        at=now,
        actor=press.user_id,
        conditions=(holder_is(press.user_id),),
        values={
            "ready_at": None,
            "police_claimed_by": None,
            "police_claimed_by_name": None,
            "police_claimed_at": None,
            "eligibility": {k: v for k, v in case.eligibility.items() if k not in failed},
        },
        actor_name=press.user_name,
        cleared=failed,
    )
    if not won:
        return refused(svc, Refusal.CLAIMED, case)
    mark_changed(session, case.id, actor=press.user_id)
    again = Raw(t("police.say.ask_again", svc.language)) if failed else ""
    return _announce(session, svc, case, press, "handed_back", again=again)


def _announce(
    session: AsyncSession, svc: Services, case: Case, press: Press, move: str, **values: object
) -> PressResult:
    """Say in the thread who moved the case (`police.say.<move>`), redraw, confirm to the officer."""
    lang = svc.language
    who = officer_mention(press.user_id, press.user_name)
    outbox.say(session, svc, case, t(f"police.say.{move}", lang, who=who, **values))
    redraw(session, svc, case)
    return PressResult(t(f"police.ok.{move}", lang))


async def cancel_ask(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Ask the officer for the reason; the case is cancelled when they reply."""
    found = await checked(session, svc, press, button, Action.POLICE_CANCEL)
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
    return PressResult(t("police.ok.asked", svc.language))


# The buttons of this module, by action name (wired in bot/compose/wiring.py).
BUTTONS: dict[str, ButtonAction] = {
    "police.claim": claim,
    "police.release": release,
    "police.take_over": take_over,
    "police.hand_back": hand_back,
    "police.cancel": cancel_ask,
}
